import { defaultEmbedder } from '../cognition/context.js';
import { learnFromExchange } from '../cognition/learning.js';
import { queryWords, recall } from '../cognition/retrieval.js';
import { orQuery } from '../cognition/retrievalSql.js';
import { toVectorLiteral } from '../embeddings/types.js';
import { createUser } from '../operations/users.js';
import { QUALITY_CORPUS, QUALITY_REPLY_CORPUS } from './corpus/qualityCorpus.js';
import { syntheticMemories } from './corpus/synthetic.js';
import { progress, withScratchEmily } from './scratch.js';
import { round } from './stats.js';

export interface QualityScores {
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  mrr: number;
}

export interface QualityBenchResult {
  questions: number;
  memories: number;
  distractors: number;
  embedder: string;
  /** Cosine ranking with the built-in embedder alone (exact search). */
  embedder_only: QualityScores;
  /** PostgreSQL full-text search alone: any query word (OR), ranked by ts_rank. */
  fulltext_or: QualityScores;
  /** PostgreSQL full-text search, plain websearch_to_tsquery (all words must match). */
  fulltext_and: QualityScores;
  /** Emily's recall(): HNSW + full-text L3/L4 + one hop, reranked under framework v1. */
  hybrid: QualityScores;
  /** Questions about what Emily herself said: the answer is an L4 turn (her reply). */
  reply_questions: number;
  /** Full-text search (any word) over the turns alone. */
  reply_fulltext_or: QualityScores;
  /** Emily's recall() over both tiers: where her reply lands among memories and turns. */
  reply_hybrid: QualityScores;
}

/**
 * `emily bench quality`: Maya's conversations go through the real learning cycle (with
 * synthetic distractor memories around them); each question is then answered by the
 * embedder alone, by full-text search alone and by Emily's hybrid recall, and scored by
 * where the statement that answers it lands.
 */
export async function benchQuality(opts: { distractors?: number; weights?: Record<string, number> } = {}): Promise<QualityBenchResult> {
  const distractors = opts.distractors ?? 2000;
  return withScratchEmily({}, async (emily) => {
    const user = await createUser(emily, 'bench: quality');
    if (opts.weights) {
      // Trying other weights: a new framework version, as an upgrade would add it.
      await emily.withUserTransaction(user.id, async (c) => {
        await c.query("UPDATE frameworks SET active = false WHERE name = 'emily'");
        await c.query(
          "INSERT INTO frameworks (name, version, params, active) SELECT 'emily', max(version) + 1, jsonb_set(params, '{weights}', params->'weights' || $1::jsonb), true FROM frameworks WHERE name = 'emily' GROUP BY params ORDER BY max(version) DESC LIMIT 1",
          [JSON.stringify(opts.weights)],
        );
      });
    }
    progress('teaching Emily the distractors');
    const noise = syntheticMemories(distractors, 11);
    for (let i = 0; i < noise.length; i += 50) {
      // Distractors go through the learning cycle too, as remembered statements.
      const text = noise.slice(i, i + 50).map((m) => `Remember that ${m.content.replace(/\.$/, '')}.`).join('\n');
      await learnFromExchange(emily, user.id, { userText: text, source: 'import' });
    }
    progress("teaching Emily Maya's conversations");
    const answer = new Map<number, number>(); // corpus item → memory id
    let conversationId: number | undefined;
    for (let i = 0; i < QUALITY_CORPUS.length; i++) {
      if (i % 6 === 0) conversationId = undefined; // several conversations
      const r = await learnFromExchange(emily, user.id, { conversationId, userText: QUALITY_CORPUS[i]!.said, assistantText: 'Thank you for telling me.' });
      conversationId = r.conversationId;
      const id = r.promoted[0] ?? r.reinforced[0];
      if (id === undefined) throw new Error(`the learning cycle kept nothing from "${QUALITY_CORPUS[i]!.said}"`);
      answer.set(i, id);
    }
    progress('telling Maya things (Emily\'s replies are kept as turns only)');
    const replyTurn = new Map<number, number>(); // reply corpus item → Emily's L4 turn id
    for (let i = 0; i < QUALITY_REPLY_CORPUS.length; i++) {
      const item = QUALITY_REPLY_CORPUS[i]!;
      const r = await learnFromExchange(emily, user.id, { userText: item.asked, assistantText: item.replied });
      if (r.assistantTurnId === null) throw new Error(`the learning cycle kept no reply for "${item.asked}"`);
      replyTurn.set(i, r.assistantTurnId);
    }
    const questions = QUALITY_CORPUS.flatMap((item, i) => item.asks.map((q) => ({ q, want: answer.get(i)! })));
    const ranks: Record<'embedder_only' | 'fulltext_or' | 'fulltext_and' | 'hybrid', (number | null)[]> = { embedder_only: [], fulltext_or: [], fulltext_and: [], hybrid: [] };
    const vectors = await defaultEmbedder.embed(questions.map((x) => x.q));
    await emily.withUser(user.id, async (c) => {
      const count = await c.query<{ n: string }>('SELECT count(*) AS n FROM memories WHERE NOT archived');
      progress(`${count.rows[0]!.n} memories; asking ${questions.length} questions`);
      for (let i = 0; i < questions.length; i++) {
        const { q, want } = questions[i]!;
        const emb = await c.query<{ id: string }>(
          `SELECT m.id FROM memory_embeddings e JOIN memories m ON m.id = e.memory_id JOIN embedding_models em ON em.idx = e.model_idx
            WHERE em.id = $2 AND NOT m.archived ORDER BY e.embedding::vector(${defaultEmbedder.dimensions}) <=> $1::vector(${defaultEmbedder.dimensions}) LIMIT 10`,
          [toVectorLiteral(vectors[i]!), defaultEmbedder.id],
        );
        ranks.embedder_only.push(rankOf(emb.rows.map((r) => Number(r.id)), want));
        const or = await c.query<{ id: string }>(
          "SELECT id FROM memories WHERE NOT archived AND tsv @@ to_tsquery('simple', $1) ORDER BY ts_rank(tsv, to_tsquery('simple', $1)) DESC, id LIMIT 10",
          [orQuery(queryWords(q)) ?? "''"],
        );
        ranks.fulltext_or.push(rankOf(or.rows.map((r) => Number(r.id)), want));
        const and = await c.query<{ id: string }>(
          "SELECT id FROM memories WHERE NOT archived AND tsv @@ websearch_to_tsquery('simple', $1) ORDER BY ts_rank(tsv, websearch_to_tsquery('simple', $1)) DESC, id LIMIT 10",
          [q],
        );
        ranks.fulltext_and.push(rankOf(and.rows.map((r) => Number(r.id)), want));
      }
    });
    for (const { q, want } of questions) {
      const r = await recall(emily, user.id, q, { k: 10, memoriesOnly: true });
      ranks.hybrid.push(rankOf(r.results.map((x) => x.id), want));
    }
    const replyQuestions = QUALITY_REPLY_CORPUS.flatMap((item, i) => item.asks.map((q) => ({ q, want: replyTurn.get(i)! })));
    const replyRanks: Record<'fulltext_or' | 'hybrid', (number | null)[]> = { fulltext_or: [], hybrid: [] };
    await emily.withUser(user.id, async (c) => {
      for (const { q, want } of replyQuestions) {
        const or = await c.query<{ id: string }>(
          "SELECT id FROM turns WHERE tsv @@ to_tsquery('simple', $1) ORDER BY ts_rank(tsv, to_tsquery('simple', $1)) DESC, id LIMIT 10",
          [orQuery(queryWords(q)) ?? "''"],
        );
        replyRanks.fulltext_or.push(rankOf(or.rows.map((r) => Number(r.id)), want));
      }
    });
    for (const { q, want } of replyQuestions) {
      const r = await recall(emily, user.id, q, { k: 10 });
      replyRanks.hybrid.push(rankOf(r.results.map((x) => (x.tier === 'L4' ? x.id : -1)), want));
    }
    const memories = await emily.withUser(user.id, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM memories WHERE NOT archived')).rows[0]!.n));
    return {
      questions: questions.length,
      memories,
      distractors,
      embedder: defaultEmbedder.id,
      embedder_only: score(ranks.embedder_only),
      fulltext_or: score(ranks.fulltext_or),
      fulltext_and: score(ranks.fulltext_and),
      hybrid: score(ranks.hybrid),
      reply_questions: replyQuestions.length,
      reply_fulltext_or: score(replyRanks.fulltext_or),
      reply_hybrid: score(replyRanks.hybrid),
    };
  });
}

/** Where `want` lands in a result list, 1-based; null when it is not there. */
function rankOf(ids: number[], want: number): number | null {
  const k = ids.indexOf(want);
  return k < 0 ? null : k + 1;
}

function score(ranks: (number | null)[]): QualityScores {
  const at = (k: number) => round(ranks.filter((r) => r !== null && r <= k).length / ranks.length, 4);
  return { recall_at_1: at(1), recall_at_5: at(5), recall_at_10: at(10), mrr: round(ranks.reduce<number>((s, r) => s + (r ? 1 / r : 0), 0) / ranks.length, 4) };
}
