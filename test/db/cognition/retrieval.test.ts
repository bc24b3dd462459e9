import { describe, expect, it } from 'vitest';
import { editMemory, learnFromExchange, recall, WorkingMemory } from '../../../electron/cognition/index.js';
import { DEFAULT_FRAMEWORK } from '../../../electron/cognition/framework.js';
import { fetchCandidates } from '../../../electron/cognition/retrievalSql.js';
import { inTransaction } from '../../../electron/databases/transaction.js';
import { walkNewestTurnsIn } from '../../../electron/cognition/turnWordStats.js';
import { defaultEmbedder } from '../../../electron/cognition/context.js';
import { vectorParam } from '../../../electron/cognition/vectors.js';
import { HASH_EMBEDDER_ID } from '../../../electron/embeddings/hashEmbedder.js';
import { ensureModel, hnswIndexName, type EmbeddingModel } from '../../../electron/embeddings/registry.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

const FACTS = [
  'My sister is called Ana and she lives in Lisbon.',
  'I love cooking Thai curries on Sundays.',
  'I work as a nurse at the city hospital.',
  'My dog Bruno is a three year old beagle.',
  'I am allergic to peanuts.',
  'I want to run a marathon next spring.',
];

async function seed(name: string) {
  const u = await t.user(name);
  for (const f of FACTS) await learnFromExchange(t.emily, u.id, { userText: f, assistantText: 'Noted.' });
  return u;
}

describe('retrieval', () => {
  it('ranks the memory that answers the question first, with every score component and provenance', async () => {
    const u = await seed('recaller');
    const r = await recall(t.emily, u.id, 'what do I like to cook?', { k: 3 });
    expect(r.results[0]!.content).toBe('I love cooking Thai curries on Sundays.');
    const top = r.results[0]!;
    expect(Object.keys(top.components).sort()).toEqual(['activation', 'ecgl', 'recency', 'similarity', 'text']);
    expect(top.components.similarity).toBeGreaterThan(0.2);
    expect(top.provenance).toHaveLength(1);
    expect(top.provenance[0]!.role).toBe('user');
    const turn = await t.emily.withUser(u.id, (c) => c.query('SELECT content FROM turns WHERE id = $1', [top.provenance[0]!.turnId]));
    expect(turn.rows[0].content).toBe('I love cooking Thai curries on Sundays.');
    const who = await recall(t.emily, u.id, "who is my sister?", { k: 1 });
    expect(who.results[0]!.content).toMatch(/Ana/);
  });

  it("returns as many results as the active framework's retrieval.k says when the caller names none", async () => {
    const u = await seed('framework-k');
    expect((await recall(t.emily, u.id, 'tell me about my life')).results).toHaveLength(6);
    await t.emily.withUserTransaction(u.id, async (c) => {
      await c.query("UPDATE frameworks SET active = false WHERE name = 'emily'");
      await c.query("INSERT INTO frameworks (name, version, params, active) SELECT 'emily', version + 1, jsonb_set(params, '{retrieval,k}', '3'), true FROM frameworks WHERE name = 'emily' ORDER BY version DESC LIMIT 1");
    });
    const r = await recall(t.emily, u.id, 'tell me about my life');
    expect(r.framework).toBe(2);
    expect(r.results).toHaveLength(3);
    expect((await recall(t.emily, u.id, 'tell me about my life', { k: 5 })).results).toHaveLength(5);
  });

  it('records uses in one batched write only when asked', async () => {
    const u = await seed('user-of-uses');
    await recall(t.emily, u.id, 'peanuts allergy', { k: 2 });
    let uses = await t.emily.withUser(u.id, (c) => c.query('SELECT count(*)::int AS n FROM memory_uses'));
    expect(uses.rows[0].n).toBe(0);
    const r = await recall(t.emily, u.id, 'peanuts allergy', { k: 2, record: { turnId: null }, memoriesOnly: true });
    uses = await t.emily.withUser(u.id, (c) => c.query('SELECT memory_id FROM memory_uses ORDER BY id'));
    expect(uses.rows.map((x) => Number(x.memory_id)).sort()).toEqual(r.results.map((x) => x.id).sort());
    const m = await t.emily.withUser(u.id, (c) => c.query('SELECT use_count, last_used_at FROM memories WHERE id = $1', [r.results[0]!.id]));
    expect(m.rows[0].use_count).toBe(1);
    expect(m.rows[0].last_used_at).not.toBeNull();
  });

  it('a better outcome history and L1 activation lift a memory under the framework weights', async () => {
    const u = await seed('ranker');
    const q = 'tell me about my life';
    const base = await recall(t.emily, u.id, q, { k: 6, memoriesOnly: true });
    const last = base.results[base.results.length - 1]!;
    const wm = new WorkingMemory();
    wm.activate([{ memoryId: last.id, content: last.content }]);
    await t.emily.withUser(u.id, (c) => c.query('UPDATE memories SET epsilon = 1, outcome = 1, stability = 1 WHERE id = $1', [last.id]));
    const lifted = await recall(t.emily, u.id, q, { k: 6, workingMemory: wm, memoriesOnly: true });
    const again = lifted.results.find((x) => x.id === last.id)!;
    expect(again.components.activation).toBe(1);
    expect(again.components.ecgl).toBeGreaterThan(last.components.ecgl);
    expect(lifted.results.findIndex((x) => x.id === last.id)).toBeLessThan(base.results.length - 1);
  });

  it('finds L4 turns that no memory came from, by full text', async () => {
    const u = await seed('archivist');
    await learnFromExchange(t.emily, u.id, { userText: 'The zeppelin museum in Friedrichshafen was closed.' });
    const r = await recall(t.emily, u.id, 'zeppelin museum', { k: 3 });
    const l4 = r.results.find((x) => x.tier === 'L4');
    expect(l4?.content).toMatch(/zeppelin/);
    expect(l4?.provenance[0]!.turnId).toBe(l4?.id);
  });

  it('ranks the newest L4 matches, the same ones whether it walks the turns or reads the index, and walks for a word in most turns', async () => {
    const u = await t.user('firehose');
    const rows = await t.emily.withUser(u.id, async (c) => {
      const conv = await c.query<{ id: string }>("INSERT INTO conversations (title) VALUES ('diary') RETURNING id");
      // 1,200 turns say "weather"; every 20th also says "kestrel", and the last says it twice.
      await c.query(
        "INSERT INTO turns (conversation_id, role, content) SELECT $1, 'user', 'A note on the weather, entry ' || g || CASE WHEN g % 20 = 0 THEN ', a kestrel' ELSE '' END FROM generate_series(1, 1200) g ORDER BY g",
        [conv.rows[0]!.id],
      );
      await c.query("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', 'Kestrel, kestrel: a small falcon.')", [conv.rows[0]!.id]);
      await c.query('ANALYZE turns');
      const byWay = (words: string[], turnsBy: 'walk' | 'index') =>
        inTransaction(c, async (x) => (await fetchCandidates(x, { model: null, vector: null, words, params: DEFAULT_FRAMEWORK.params, turnsBy })).filter((r) => r.tier === 'L4'));
      // The count of turns comes with a retrieval's settings: before it, nothing is walked.
      const before = await walkNewestTurnsIn(c, ['weather']);
      await byWay(['weather'], 'index');
      return {
        weather: [await byWay(['weather'], 'walk'), await byWay(['weather'], 'index')],
        kestrel: [await byWay(['kestrel'], 'walk'), await byWay(['kestrel'], 'index')],
        walks: { before, weather: await walkNewestTurnsIn(c, ['weather']), kestrel: await walkNewestTurnsIn(c, ['kestrel']) },
        newest: (await c.query<{ id: string }>("SELECT id FROM turns WHERE content LIKE '%weather%' ORDER BY id DESC LIMIT 10")).rows.map((r) => r.id),
      };
    });
    const ids = (r: { id: string }[]) => r.map((x) => x.id);
    expect(rows.weather[0]).toEqual(rows.weather[1]);
    expect(rows.kestrel[0]).toEqual(rows.kestrel[1]);
    // Equal ranks: the newest ten of the 1,200, in order.
    expect(ids(rows.weather[0]!)).toEqual(rows.newest);
    expect(rows.kestrel[0]![0]!.content).toBe('Kestrel, kestrel: a small falcon.');
    expect(rows.kestrel[0]).toHaveLength(10);
    expect(rows.walks).toEqual({ before: false, weather: true, kestrel: false });
  });

  it("searches an index as wide as its own build needs: the built-in embedder's narrower, an older build's and other models' at the framework's width", async () => {
    const u = await seed('search-width');
    const got = await t.emily.withUser(u.id, async (c) => {
      const builtIn = (await c.query<EmbeddingModel>('SELECT idx, id, dimensions FROM embedding_models WHERE id = $1', [HASH_EMBEDDER_ID])).rows[0]!;
      const other = await inTransaction(c, (x) => ensureModel(x, 'a-served-model', 384));
      const vector = vectorParam(builtIn, (await defaultEmbedder.embed(['what do I like to cook?']))[0]!);
      const width = (model: EmbeddingModel | null) =>
        inTransaction(c, async (x) => {
          await fetchCandidates(x, { model, vector: model ? vector : null, words: ['cook'], params: DEFAULT_FRAMEWORK.params });
          return (await x.query<{ ef: string }>("SELECT current_setting('hnsw.ef_search') AS ef")).rows[0]!.ef;
        });
      const options = async (model: EmbeddingModel) => (await c.query<{ o: string[] }>('SELECT reloptions AS o FROM pg_class WHERE oid = to_regclass($1)', [hnswIndexName(model.idx)])).rows[0]!.o;
      const fresh = { builtIn: { options: await options(builtIn), ef: await width(builtIn) }, other: { options: await options(other), ef: await width(other) } };
      // An index made by an older version (or rebuilt from its export) keeps the reference build.
      await c.query(`DROP INDEX ${hnswIndexName(builtIn.idx)}`);
      await c.query(`CREATE INDEX ${hnswIndexName(builtIn.idx)} ON memory_embeddings USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 400) WHERE model_idx = ${builtIn.idx}`);
      const older = await width(builtIn);
      return { ...fresh, older, text: await width(null) };
    });
    expect(got).toEqual({
      builtIn: { options: ['m=8', 'ef_construction=1000'], ef: '150' },
      other: { options: ['m=16', 'ef_construction=400'], ef: '200' },
      older: '200',
      text: '200',
    });
  });

  it("scores an L4 turn found by full text on its vector's similarity, like a memory", async () => {
    const u = await seed('replier');
    const ex = await learnFromExchange(t.emily, u.id, { userText: 'Any ideas for the weekend?', assistantText: 'You could visit the zeppelin museum in Friedrichshafen.' });
    const q = 'zeppelin museum Friedrichshafen';
    const r = await recall(t.emily, u.id, q, { k: 3 });
    const reply = r.results.find((x) => x.tier === 'L4' && x.id === ex.assistantTurnId)!;
    expect(reply.provenance[0]!.role).toBe('assistant');
    expect(reply.components.similarity).toBeGreaterThan(0.3);
    // Without its vector the same turn scores on text and recency alone.
    await t.emily.withUser(u.id, (c) => c.query('DELETE FROM turn_embeddings WHERE turn_id = $1', [ex.assistantTurnId]));
    const bare = (await recall(t.emily, u.id, q, { k: 3 })).results.find((x) => x.id === ex.assistantTurnId)!;
    expect(bare.components.similarity).toBe(0);
    expect(bare.score).toBeLessThan(reply.score);
    // A vector of another size (say, from a hand-edited dump) is passed over, not a failed recall.
    await t.emily.withUser(u.id, (c) => c.query("INSERT INTO turn_embeddings (turn_id, model_idx, embedding) SELECT $1, idx, '[1,2,3]' FROM embedding_models", [ex.assistantTurnId]));
    const odd = (await recall(t.emily, u.id, q, { k: 3 })).results.find((x) => x.id === ex.assistantTurnId)!;
    expect(odd.components.similarity).toBe(0);
  });

  it('a turn that matches lifts the memory it fed, and is not shown again as an L4 result', async () => {
    const u = await seed('lifter');
    const nurse = (await recall(t.emily, u.id, 'nurse hospital', { k: 1, memoriesOnly: true })).results[0]!;
    expect(nurse.content).toMatch(/nurse/);
    await t.emily.withUser(u.id, async (c) => {
      const conv = await c.query('SELECT conversation_id FROM turns ORDER BY id LIMIT 1');
      const turn = await c.query("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', 'Night shifts on the quokkaward again') RETURNING id", [conv.rows[0].conversation_id]);
      await c.query('INSERT INTO memory_sources (memory_id, turn_id) VALUES ($1, $2)', [nurse.id, turn.rows[0].id]);
    });
    const r = await recall(t.emily, u.id, 'quokkaward', { k: 3 });
    expect(r.results[0]).toMatchObject({ tier: 'L3', id: nurse.id });
    expect(r.results[0]!.via).toContain('turn');
    expect(r.results[0]!.components.text).toBeGreaterThan(0);
    expect(r.results.filter((x) => x.tier === 'L4')).toEqual([]);
  });

  it('a turn that fed several memories shares its lift among them', async () => {
    const u = await seed('sharer');
    const ids = async (q: string) => (await recall(t.emily, u.id, q, { k: 1, memoriesOnly: true })).results[0]!.id;
    const [nurse, dog, run] = [await ids('nurse hospital'), await ids('beagle dog Bruno'), await ids('marathon spring')];
    await t.emily.withUser(u.id, async (c) => {
      const conv = await c.query('SELECT conversation_id FROM turns ORDER BY id LIMIT 1');
      const turn = () => c.query("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', 'Busy week around the quokkaward') RETURNING id", [conv.rows[0].conversation_id]);
      const one = (await turn()).rows[0].id;
      const two = (await turn()).rows[0].id;
      await c.query('INSERT INTO memory_sources (memory_id, turn_id) VALUES ($1, $3), ($2, $4), ($5, $4)', [nurse, dog, one, two, run]);
    });
    const shares = async () => {
      const r = await recall(t.emily, u.id, 'quokkaward', { k: 8, memoriesOnly: true });
      const text = (id: number) => r.results.find((x) => x.id === id)!.components.text;
      return [text(nurse), text(dog), text(run)];
    };
    expect((await shares())[0]).toBe(1);
    expect((await shares()).slice(1).map((x) => Math.round(x * 1000) / 1000)).toEqual([0.5, 0.5]);
    // An edit keeps the old text as an archived copy with the same sources; it takes no share.
    await editMemory(t.emily, u.id, dog, 'My dog Bruno is a four year old beagle.');
    await editMemory(t.emily, u.id, nurse, 'I work as a nurse at the children’s hospital.');
    expect((await shares()).map((x) => Math.round(x * 1000) / 1000)).toEqual([1, 0.5, 0.5]);
  });

  it("scores every candidate's own text match, not only the top full-text ones'", async () => {
    const u = await seed('matcher');
    await learnFromExchange(t.emily, u.id, { userText: 'My brother sells roasted peanuts at the market.' });
    await t.emily.withUser(u.id, (c) =>
      c.query("UPDATE frameworks SET params = jsonb_set(params, '{retrieval}', coalesce(params->'retrieval', '{}') || '{\"k\": 8, \"vectorCandidates\": 40, \"textCandidates\": 1, \"turnCandidates\": 10, \"efSearch\": 200}') WHERE active"),
    );
    // Without their source turns, nothing but their own text can give them a text match.
    await t.emily.withUser(u.id, (c) => c.query("DELETE FROM memory_sources WHERE memory_id IN (SELECT id FROM memories WHERE content LIKE '%peanuts%')"));
    const r = await recall(t.emily, u.id, 'peanuts', { k: 8, memoriesOnly: true });
    const both = r.results.filter((x) => /peanuts/.test(x.content));
    expect(both).toHaveLength(2);
    // One came in as the single full-text candidate, the other by its vector; both hold the word.
    expect(both.filter((x) => x.via.includes('text'))).toHaveLength(1);
    for (const x of both) expect(x.components.text).toBeGreaterThan(0);
    expect(r.results.filter((x) => !/peanuts/.test(x.content)).every((x) => x.components.text === 0)).toBe(true);
  });

  it('finds the memory holding two of the query\'s words among hundreds holding one, however new it is', async () => {
    const u = await t.user('many-matches');
    // No vectors: these memories can come up through full text only.
    await t.emily.withUser(u.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) SELECT 'I walked along the harbour again, day ' || g, 'episode', 'user-stated' FROM generate_series(1, 450) g");
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('The harbour lighthouse keeper retired last week.', 'fact', 'user-stated')");
    });
    const r = await recall(t.emily, u.id, 'harbour lighthouse', { k: 5, memoriesOnly: true });
    expect(r.results[0]!.content).toBe('The harbour lighthouse keeper retired last week.');
    expect(r.results[0]!.via).toContain('text');
    expect(r.results[0]!.components.text).toBe(1);
    // The rest hold one of the words and rank below it.
    expect(r.results.slice(1).every((x) => x.content.startsWith('I walked along the harbour') && x.components.text < 1)).toBe(true);
    const one = await recall(t.emily, u.id, 'lighthouse', { k: 5, memoriesOnly: true });
    expect(one.results.map((x) => x.content)).toEqual(['The harbour lighthouse keeper retired last week.']);
  });

  it('finds the memory holding two of the last words of a long query, and ignores a word PostgreSQL drops', async () => {
    const u = await t.user('long-query');
    await t.emily.withUser(u.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) SELECT 'Dinner with my sister, evening ' || g, 'episode', 'user-stated' FROM generate_series(1, 40) g");
      await c.query("INSERT INTO memories (content, kind, source) SELECT 'I walked along the harbour again, day ' || g, 'episode', 'user-stated' FROM generate_series(1, 450) g");
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('The harbour lighthouse keeper retired last week.', 'fact', 'user-stated')");
    });
    const long = 'At dinner my sister and mum kept talking and talking about the neighbours, then she told me the lighthouse keeper retired';
    const r = await recall(t.emily, u.id, long, { k: 5, memoriesOnly: true });
    expect(r.results[0]!.content).toBe('The harbour lighthouse keeper retired last week.');
    const withHugeWord = await recall(t.emily, u.id, `${'a'.repeat(2100)} harbour lighthouse`, { k: 5, memoriesOnly: true });
    expect(withHugeWord.results[0]!.content).toBe('The harbour lighthouse keeper retired last week.');
  });

  it('of many memories holding the one word asked about, the newest are ranked, not the oldest', async () => {
    const u = await t.user('one-word');
    await t.emily.withUser(u.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) SELECT 'I drank tea, day ' || g, 'episode', 'user-stated' FROM generate_series(1, 300) g");
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('Tea, more tea: green tea and black tea are my favourites.', 'preference', 'user-stated')");
    });
    const r = await recall(t.emily, u.id, 'tea', { k: 5, memoriesOnly: true });
    // It says "tea" most often, so it ranks first; the others are from the newest 200.
    expect(r.results[0]!.content).toBe('Tea, more tea: green tea and black tea are my favourites.');
    for (const x of r.results.slice(1)) expect(Number(/day (\d+)/.exec(x.content)![1])).toBeGreaterThan(100);
  });

  it('ranks any memory holding two query words above any holding one, as the text candidates assume', async () => {
    const u = await t.user('rank-assumption');
    for (const n of [2, 3, 8, 24]) {
      const words = Array.from({ length: n }, (_, i) => `w${i}`);
      const r = await t.emily.withUser(u.id, (c) =>
        c.query<{ one: number; two: number }>(
          "SELECT ts_rank(to_tsvector('simple', repeat('w0 ', 300)), to_tsquery('simple', $1), 32) AS one, ts_rank(to_tsvector('simple', 'w0 w1'), to_tsquery('simple', $1), 32) AS two",
          [words.join(' | ')],
        ),
      );
      expect(r.rows[0]!.two).toBeGreaterThan(r.rows[0]!.one);
    }
  });

  it('follows strong edges one hop', async () => {
    const u = await t.user('hopper');
    const a = await learnFromExchange(t.emily, u.id, { userText: 'I love hiking in the Alps with my dog.' });
    const b = await learnFromExchange(t.emily, u.id, { userText: 'I enjoy hiking in the Alps every summer.' });
    await t.emily.withUser(u.id, (c) => c.query("UPDATE memory_edges SET weight = 0.9 WHERE kind = 'related'"));
    const r = await recall(t.emily, u.id, 'hiking alps dog', { k: 5, memoriesOnly: true });
    expect(r.results.map((x) => x.id).sort()).toEqual([a.promoted[0], b.promoted[0]].sort());
  });
});
