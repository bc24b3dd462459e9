import type pg from 'pg';
import { EmilyError, isModelFailure, toEmilyError } from '../core/errors.js';
import { tokenize } from '../embeddings/hashEmbedder.js';
import { STOPWORDS } from '../embeddings/lexicon.js';
import type { EmbeddingModel } from '../embeddings/registry.js';
import { defaultEmbedder, modelFor, type EmbeddedText, type UserDoor } from './context.js';
import type { Embedder } from '../embeddings/types.js';
import { ecgl, loadFramework, recencyOf, type Framework, type FrameworkParams } from './framework.js';
import { fetchCandidates, fetchProvenance, type CandidateRow } from './retrievalSql.js';
import { cleanText, MAX_QUERY_CHARS } from './text.js';
import { recordUses } from './uses.js';
import { assertEmbedderFits, vectorParam } from './vectors.js';
import type { WorkingMemory } from './workingMemory.js';

export interface ScoreComponents {
  /** Cosine similarity of the query and the memory (current model); 0 when it has no vector yet. */
  similarity: number;
  /** Full-text match, relative to the best match of this query (L3 text or its L4 sources). */
  text: number;
  /** 0.35·epsilon + 0.35·outcome + 0.20·novelty + 0.10·stability. */
  ecgl: number;
  /** Decays with time since last use. */
  recency: number;
  /** L1 activation (working memory). */
  activation: number;
}

export interface Provenance {
  turnId: number;
  conversationId: number;
  role: string;
  source: string;
  sourceId: string | null;
  createdAt: string;
}

export interface RecallResult {
  tier: 'L3' | 'L4';
  /** Memory id (L3) or turn id (L4). */
  id: number;
  content: string;
  kind: string | null;
  pinned: boolean;
  score: number;
  components: ScoreComponents;
  /** How it became a candidate: vector (HNSW), text (L3 full-text), turn (L4 full-text), edge (one hop). */
  via: ('vector' | 'text' | 'turn' | 'edge')[];
  provenance: Provenance[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface RecallResponse {
  query: string;
  model: string | null;
  framework: number;
  results: RecallResult[];
}

export interface RecallOptions {
  k?: number;
  embedder?: Embedder;
  /** The embedder's model as the caller already looked it up (ignored if it is another model's). */
  known?: { model?: EmbeddingModel };
  /** A query already embedded with the embedder's model (its dimensions are checked). */
  queryVector?: ArrayLike<number>;
  workingMemory?: WorkingMemory;
  /** Record the L3 results as uses (of reply `turnId`, or null for a bare recall). Off by default. */
  record?: { turnId: number | null };
  /**
   * When the embedder fails (its server is down, say), recall by text alone instead of
   * failing: in a chat the reply matters more than the vector part of its recall.
   */
  textOnlyIfEmbedderFails?: boolean;
  /** Leave L4 turns out of the results (they still lift the memories they fed). */
  memoriesOnly?: boolean;
}

/** Words for the full-text side: content words of the query (all words if it has none). */
export function queryWords(q: string): string[] {
  // Apostrophes split words the way PostgreSQL's parser does ("sister's" → "sister").
  const all = [...new Set(tokenize(q).flatMap((w) => w.split("'")).filter((w) => w.length > 1 || /\P{ASCII}/u.test(w)))];
  const content = all.filter((w) => !STOPWORDS.has(w));
  return (content.length ? content : all).slice(0, 24);
}

/** Attention: candidates from HNSW and full-text, one hop, reranked under the framework's weights. */
export async function recall(door: UserDoor, userId: string, query: unknown, opts: RecallOptions = {}): Promise<RecallResponse> {
  return (await recallInContext(door, userId, query, opts)).response;
}

/**
 * recall, also answering the embedding model and framework it used and the query as it
 * embedded it, so that the rest of a chat turn need not look them up or embed it again.
 */
export async function recallInContext(
  door: UserDoor,
  userId: string,
  query: unknown,
  opts: RecallOptions = {},
): Promise<{ response: RecallResponse; model: EmbeddingModel | null; framework: Framework; embedded: EmbeddedText | null; embedderFailed?: EmilyError }> {
  const q = cleanText(query, 'the query', MAX_QUERY_CHARS);
  // Without k, the active framework's retrieval.k decides (parameters are data).
  const given = opts.k;
  if (given !== undefined && (!Number.isInteger(given) || given < 1 || given > 100)) throw new EmilyError('BAD_INPUT', 'k must be a whole number from 1 to 100');
  const embedder = opts.embedder ?? defaultEmbedder;
  let model: EmbeddingModel | null = null;
  let raw: ArrayLike<number> | null = null;
  let embedderFailed: EmilyError | undefined;
  try {
    model = opts.known?.model?.id === embedder.id ? opts.known.model : await modelFor(door, userId, embedder);
    raw = opts.queryVector ?? (await embedder.embed([q]))[0]!;
    if (!opts.queryVector) assertEmbedderFits(model, [raw]);
  } catch (e) {
    // Only the model server's failures: a database error or a bad vector still fails the recall.
    if (!opts.textOnlyIfEmbedderFails || !isModelFailure(e)) throw e;
    [model, raw, embedderFailed] = [null, null, e as EmilyError];
  }
  // A text with no words embeds to the zero vector, whose cosine is undefined (NaN): such a
  // query has no direction, so it goes by text alone instead of pulling up arbitrary neighbours.
  const checked = model && raw ? vectorParam(model, raw) : null;
  const vector = raw && hasDirection(raw) ? checked : null;
  try {
    return await door.withUserTransaction(userId, async (client) => {
      const fw = await loadFramework(client);
      const k = given ?? Math.min(100, Math.max(1, Math.round(fw.params.retrieval.k)));
      const results = await retrieve(client, { model, vector, words: queryWords(q), params: fw.params, k, workingMemory: opts.workingMemory, memoriesOnly: opts.memoriesOnly });
      if (opts.record) {
        const l3 = results.filter((r) => r.tier === 'L3');
        await recordUses(client, opts.record.turnId, l3.map((r) => ({ memoryId: r.id, score: { ...r.components, total: r.score } })));
      }
      opts.workingMemory?.activate(results.filter((r) => r.tier === 'L3').map((r) => ({ memoryId: r.id, content: r.content })));
      return {
        response: { query: q, model: model?.id ?? 'text only', framework: fw.version, results },
        model,
        framework: fw,
        embedded: raw ? { text: q, vector: raw } : null,
        ...(embedderFailed ? { embedderFailed } : {}),
      };
    });
  } catch (e) {
    throw toEmilyError(e, 'recall failed');
  }
}

/** The database part (inside the caller's transaction): what `emily bench retrieval` times. */
export async function retrieve(
  client: pg.ClientBase,
  a: { model: EmbeddingModel | null; vector: string | null; words: string[]; params: FrameworkParams; k: number; workingMemory?: WorkingMemory; memoriesOnly?: boolean },
): Promise<RecallResult[]> {
  const rows = await fetchCandidates(client, a);
  const top = rerank(rows, a.params, a.workingMemory, { k: a.k, memoriesOnly: a.memoriesOnly });
  const prov = await fetchProvenance(client, top.filter((r) => r.tier === 'L3').map((r) => r.id));
  for (const r of top) {
    if (r.tier === 'L3') {
      r.provenance = prov
        .filter((p) => Number(p.memory_id) === r.id)
        .map((p) => ({ turnId: Number(p.turn_id), conversationId: Number(p.conversation_id), role: p.role, source: p.source, sourceId: p.source_id, createdAt: iso(p.created_at) }));
    }
  }
  return top;
}

/**
 * The candidates scored under the framework's weights, best first: the top k of them (all
 * without k). Every candidate is scored, but only the returned ones are built into results:
 * a query has 100 to 150 candidates and returns 8, and building (dates as ISO text, score
 * objects) for every one was a fifth of the client's time in `emily bench retrieval`.
 */
export function rerank(rows: CandidateRow[], params: FrameworkParams, wm?: WorkingMemory, opts: { k?: number; memoriesOnly?: boolean; now?: number } = {}): RecallResult[] {
  const now = opts.now ?? Date.now();
  const textOf = (r: CandidateRow) => Math.max(Number(r.text_rank), 0.8 * Number(r.turn_rank));
  const bestText = Math.max(1e-9, ...rows.map(textOf));
  const w = params.weights;
  const scored: { row: CandidateRow; id: number; components: ScoreComponents; score: number }[] = [];
  for (const r of rows) {
    const l3 = r.tier === 'L3';
    if (opts.memoriesOnly && !l3) continue;
    const id = Number(r.id);
    const components: ScoreComponents = {
      similarity: round4(positiveOrZero(Number(r.sim ?? 0))),
      text: round4(textOf(r) / bestText),
      ecgl: round4(l3 ? ecgl(params, { epsilon: r.epsilon!, outcome: r.outcome!, novelty: r.novelty!, stability: r.stability! }) : 0),
      recency: round4(recencyOf(params, r.last_used_at ?? r.created_at, now)),
      activation: round4(l3 ? (wm?.activation(id) ?? 0) : 0),
    };
    const score = w.similarity * components.similarity + w.text * components.text + w.ecgl * components.ecgl + w.recency * components.recency + w.activation * components.activation;
    scored.push({ row: r, id, components, score: round4(score) });
  }
  scored.sort((a, b) => b.score - a.score || a.id - b.id);
  return scored.slice(0, opts.k ?? scored.length).map(({ row: r, id, components, score }): RecallResult => {
    const l3 = r.tier === 'L3';
    const via: RecallResult['via'] = [];
    if (r.by_vector) via.push('vector');
    if (r.by_text) via.push(l3 ? 'text' : 'turn');
    if (r.by_turn) via.push('turn');
    if (r.hop_weight !== null && !r.by_vector && !r.by_text && !r.by_turn) via.push('edge');
    const provenance: Provenance[] = l3
      ? []
      : [{ turnId: id, conversationId: Number(r.conversation_id), role: r.role ?? 'user', source: r.source ?? 'chat', sourceId: r.source_id, createdAt: iso(r.created_at) }];
    return {
      tier: r.tier,
      id,
      content: r.content,
      kind: r.kind,
      pinned: r.pinned ?? false,
      score,
      components,
      via,
      provenance,
      createdAt: iso(r.created_at),
      lastUsedAt: r.last_used_at === null ? null : iso(r.last_used_at),
    };
  });
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function hasDirection(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return true;
  return false;
}

/** Negative similarity counts as none, and so does NaN (the cosine of a stored zero vector). */
function positiveOrZero(x: number): number {
  return x > 0 ? x : 0;
}
