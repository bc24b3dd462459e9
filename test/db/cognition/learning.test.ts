import { describe, expect, it } from 'vitest';
import { learnFromExchange, recall } from '../../../electron/cognition/index.js';
import { OpenAIEmbedder } from '../../../electron/embeddings/openaiEmbedder.js';
import { startFakeEmbeddingServer } from '../../support/fakeEmbeddingServer.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

async function rows<T>(userId: string, sql: string, args: unknown[] = []): Promise<T[]> {
  return t.emily.withUser(userId, async (c) => (await c.query(sql, args)).rows as T[]);
}

describe('learning cycle', () => {
  it('writes both turns, promotes a first-person fact with provenance, metrics and its vector', async () => {
    const u = await t.user('learner');
    const r = await learnFromExchange(t.emily, u.id, { userText: 'My sister is called Ana. What a day!', assistantText: 'Nice to hear about Ana.' });
    expect(r.promoted).toHaveLength(1);
    const turns = await rows<{ role: string; consolidated: boolean }>(u.id, 'SELECT role, consolidated FROM turns ORDER BY id');
    expect(turns).toEqual([
      { role: 'user', consolidated: true },
      { role: 'assistant', consolidated: true },
    ]);
    const [m] = await rows<{ content: string; kind: string; source: string; confidence: number; novelty: number; source_trust: number; specificity: number }>(
      u.id,
      'SELECT content, kind, source, confidence, novelty, source_trust, specificity FROM memories',
    );
    expect(m).toMatchObject({ content: 'My sister is called Ana.', kind: 'fact', source: 'user-stated' });
    expect(m!.confidence).toBeGreaterThanOrEqual(0.7);
    expect(m!.novelty).toBe(1);
    expect(m!.source_trust).toBeCloseTo(0.9);
    expect(m!.specificity).toBeGreaterThan(0.3);
    const prov = await rows<{ turn_id: string }>(u.id, 'SELECT turn_id FROM memory_sources WHERE memory_id = $1', [r.promoted[0]]);
    expect(prov.map((p) => Number(p.turn_id))).toEqual([r.userTurnId]);
    const emb = await rows<{ dims: number; model: string }>(u.id, 'SELECT vector_dims(e.embedding) AS dims, m.id AS model FROM memory_embeddings e JOIN embedding_models m ON m.idx = e.model_idx');
    expect(emb).toEqual([{ dims: 384, model: 'emily-hash-v1' }]);
    const idx = await rows<{ indexname: string }>(u.id, "SELECT indexname FROM pg_indexes WHERE tablename = 'memory_embeddings' AND indexdef LIKE '%hnsw%'");
    expect(idx.map((i) => i.indexname)).toEqual(['memory_embeddings_hnsw_1']);
  });

  it('does not promote low-confidence chatter or gibberish', async () => {
    const u = await t.user('picky');
    const r = await learnFromExchange(t.emily, u.id, { userText: 'The weather was grey. Remember that xkcdqwrtzp vbnmsdfghjk qwrtplkj!!' });
    expect(r.promoted).toEqual([]);
    const rejected = r.candidates.filter((c) => c.decision === 'rejected');
    expect(rejected.some((c) => /gibberish/.test(c.reason ?? ''))).toBe(true);
    expect(await rows(u.id, 'SELECT id FROM memories')).toEqual([]);
    expect(await rows(u.id, 'SELECT id FROM turns')).toHaveLength(1);
  });

  it('collapses a near-duplicate into the existing memory and reinforces it', async () => {
    const u = await t.user('dup');
    const a = await learnFromExchange(t.emily, u.id, { userText: 'I love cooking Thai curries.' });
    const before = (await rows<{ stability: number }>(u.id, 'SELECT stability FROM memories'))[0]!.stability;
    const b = await learnFromExchange(t.emily, u.id, { userText: 'I really love cooking Thai curries so much.' });
    expect(b.promoted).toEqual([]);
    expect(b.reinforced).toEqual(a.promoted);
    const ms = await rows<{ id: string; use_count: number; stability: number }>(u.id, 'SELECT id, use_count, stability FROM memories');
    expect(ms).toHaveLength(1);
    expect(ms[0]!.use_count).toBe(1);
    expect(ms[0]!.stability).toBeGreaterThan(before);
    expect(await rows(u.id, 'SELECT turn_id FROM memory_sources')).toHaveLength(2);
  });

  it('links neighbours and records a correction as a supersedes edge, keeping the old memory', async () => {
    const u = await t.user('corrector');
    const first = await learnFromExchange(t.emily, u.id, { userText: 'My favourite colour is green.' });
    const second = await learnFromExchange(t.emily, u.id, { userText: 'Actually, my favourite colour is blue.' });
    const oldId = first.promoted[0]!;
    const newId = second.promoted[0]!;
    const edges = await rows<{ src: string; dst: string; kind: string }>(u.id, 'SELECT src, dst, kind FROM memory_edges');
    expect(edges).toContainEqual({ src: String(newId), dst: String(oldId), kind: 'supersedes' });
    const old = await rows<{ content: string; coherence: number; epsilon: number; archived: boolean }>(u.id, 'SELECT content, coherence, epsilon, archived FROM memories WHERE id = $1', [oldId]);
    expect(old[0]).toMatchObject({ content: 'My favourite colour is green.', archived: false });
    expect(old[0]!.coherence).toBeLessThan(1);
    const newer = await rows<{ epsilon: number }>(u.id, 'SELECT epsilon FROM memories WHERE id = $1', [newId]);
    expect(old[0]!.epsilon).toBeLessThan(newer[0]!.epsilon);
    // Without "actually" a different value for the same slot is a contradiction.
    const third = await learnFromExchange(t.emily, u.id, { userText: 'My favourite colour is red.' });
    const k = await rows<{ kind: string }>(u.id, 'SELECT kind FROM memory_edges WHERE src = $1 AND dst = $2', [third.promoted[0], newId]);
    expect(k.map((x) => x.kind)).toEqual(['contradicts']);
  });

  it('never folds a correction or the opposite statement into the memory it contradicts, however alike the words', async () => {
    const u = await t.user('contrary');
    const lisbon = await learnFromExchange(t.emily, u.id, { userText: 'I live in Lisbon with my husband, our two cats and an old dog called Rex, near the river.' });
    const porto = await learnFromExchange(t.emily, u.id, { userText: 'Actually, I live in Porto with my husband, our two cats and an old dog called Rex, near the river.' });
    expect(porto.reinforced).toEqual([]);
    expect(porto.promoted).toHaveLength(1);
    expect(porto.candidates[0]!.edges).toContainEqual(expect.objectContaining({ dst: lisbon.promoted[0], kind: 'supersedes' }));
    // The correction is new information: it comes up before what it replaced.
    const where = await recall(t.emily, u.id, 'where do I live with my husband and the cats', { k: 2 });
    expect(where.results.filter((r) => r.tier === 'L3').map((r) => r.id)).toEqual([porto.promoted[0], lisbon.promoted[0]]);

    const coffee = await learnFromExchange(t.emily, u.id, { userText: 'I drink coffee every single morning.' });
    const none = await learnFromExchange(t.emily, u.id, { userText: "I don't drink coffee every single morning." });
    expect(none.promoted).toHaveLength(1);
    expect(none.candidates[0]!.edges).toContainEqual(expect.objectContaining({ dst: coffee.promoted[0], kind: 'contradicts' }));

    const love = await learnFromExchange(t.emily, u.id, { userText: 'I love long walks on the beach at night.' });
    const hate = await learnFromExchange(t.emily, u.id, { userText: 'I hate long walks on the beach at night.' });
    expect(hate.promoted).toHaveLength(1);
    expect(hate.candidates[0]!.edges).toContainEqual(expect.objectContaining({ dst: love.promoted[0], kind: 'contradicts' }));
    const coherence = await rows<{ id: string; coherence: number }>(u.id, 'SELECT id, coherence FROM memories WHERE id = ANY($1::bigint[]) ORDER BY id', [[love.promoted[0], hate.promoted[0]]]);
    for (const c of coherence) expect(c.coherence).toBeLessThan(1);

    // Saying the same thing again is still a duplicate, even as a "correction".
    const again = await learnFromExchange(t.emily, u.id, { userText: 'No, I live in Porto with my husband, our two cats and an old dog called Rex, near the river.' });
    expect(again.reinforced).toEqual(porto.promoted);
    expect(await rows(u.id, 'SELECT id FROM memories')).toHaveLength(6);
  });

  it('links related memories and raises their integration', async () => {
    const u = await t.user('linker');
    await learnFromExchange(t.emily, u.id, { userText: 'I love hiking in the mountains with my dog.' });
    await learnFromExchange(t.emily, u.id, { userText: 'I enjoy long hikes in the mountains on weekends.' });
    const e = await rows<{ kind: string; weight: number }>(u.id, 'SELECT kind, weight FROM memory_edges');
    expect(e).toHaveLength(1);
    expect(e[0]!.kind).toBe('related');
    const integ = await rows<{ integration: number }>(u.id, 'SELECT integration FROM memories ORDER BY id');
    expect(integ.every((m) => m.integration > 0)).toBe(true);
  });

  it('keeps a reply the embedding server refuses, without its vector, and learns the rest of the exchange', async () => {
    const server = await startFakeEmbeddingServer({ dimensions: 8, maxInputChars: 300 });
    try {
      const u = await t.user('long-replies');
      const embedder = new OpenAIEmbedder({ baseUrl: server.base, model: 'small-ctx', dimensions: 8 });
      const reply = `Here is the whole story.${' And then it went on.'.repeat(40)}`;
      const r = await learnFromExchange(t.emily, u.id, { userText: 'My sister is called Ana.', assistantText: reply }, { embedder });
      expect(r.assistantTurnId).not.toBeNull();
      expect(r.promoted).toHaveLength(1);
      expect(server.requests.length).toBe(2);
      expect(server.requests[0]).toContain(reply);
      expect(server.requests[1]).not.toContain(reply);
      const stored = await rows<{ content: string; vectors: number }>(
        u.id,
        'SELECT t.content, (SELECT count(*)::int FROM turn_embeddings e WHERE e.turn_id = t.id) AS vectors FROM turns t ORDER BY t.id',
      );
      expect(stored).toEqual([
        { content: 'My sister is called Ana.', vectors: 1 },
        { content: reply, vectors: 0 },
      ]);
    } finally {
      await server.close();
    }
  });
});
