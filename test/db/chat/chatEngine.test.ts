import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../../electron/api/adapters/chatService.js';
import type { ResolvedLanguageModel } from '../../../electron/api/services.js';
import { ChatEngine, type TurnOutcome } from '../../../electron/chat/chatEngine.js';
import { AnthropicModel } from '../../../electron/providers/llm/anthropic.js';
import { OpenAIEmbedder } from '../../../electron/embeddings/openaiEmbedder.js';
import { OpenAICompatibleModel } from '../../../electron/providers/llm/openaiCompatible.js';
import { startFakeEmbeddingServer } from '../../support/fakeEmbeddingServer.js';
import { startFakeModelServer, type FakeServer } from '../../support/fakeModelServer.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();
let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeModelServer({ models: ['test-model'] });
});
afterAll(() => fake.close());

const fast = { connectMs: 1000, idleMs: 400, retries: 0 };
const openai = () => new OpenAICompatibleModel({ baseUrl: `${fake.url}/v1`, model: 'test-model', timeouts: fast });

async function turns(userId: string, conversationId: number) {
  return t.emily.withUser(userId, async (c) => (await c.query('SELECT id, role, content, cut, meta FROM turns WHERE conversation_id = $1 ORDER BY id', [conversationId])).rows);
}

describe('a chat turn', () => {
  it('with no model, answers from memory (labelled), and still learns from the turn', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    const first = await engine.send(u.id, undefined, { text: 'My sister is Ana. Remember that she loves green tea.' });
    expect(first.mode).toBe('memory');
    expect(first.reply).toMatch(/No language model is set up, so I am answering from memory/);
    expect(first.learned.promoted.length).toBeGreaterThan(0);
    const second = await engine.send(u.id, undefined, { conversationId: first.conversationId, text: 'What do you remember about Ana?' });
    expect(second.mode).toBe('memory');
    expect(second.reply).toMatch(/Ana/);
    expect(second.reply).not.toMatch(/You once said: “No language model/); // her own replies are not quoted as the user's
    expect(second.memories.some((m) => m.tier === 'L3' && /Ana/.test(m.content))).toBe(true);
    const stored = await turns(u.id, first.conversationId);
    expect(stored.map((r) => r.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(stored[1].meta).toMatchObject({ mode: 'memory', reason: 'no-model' });
    // Learned in the turn itself: nothing left for the backlog consolidation.
    const backlog = await t.emily.withUser(u.id, async (c) => (await c.query('SELECT id FROM turns WHERE NOT consolidated')).rowCount);
    expect(backlog).toBe(0);
  });

  it('streams a model reply in order, with identity and recalled memories in its context, and records the uses', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    await engine.send(u.id, undefined, { text: 'My dog is called Biscuit.' });
    await t.emily.withUser(u.id, (c) => c.query("UPDATE identity SET name = 'Emi'"));
    fake.script({ kind: 'reply', chunks: ['Biscuit', ' is', ' your dog.'] });
    const tokens: string[] = [];
    const events: string[] = [];
    const out = await engine.send(u.id, openai(), { text: 'What is my dog called?' }, {
      memories: () => events.push('memories'),
      token: (x) => (events.push('token'), tokens.push(x)),
    });
    expect(tokens).toEqual(['Biscuit', ' is', ' your dog.']);
    expect(events[0]).toBe('memories');
    expect(out).toMatchObject({ mode: 'model', reply: 'Biscuit is your dog.', cut: false, model: 'openai-compatible:test-model' });
    const sent = fake.requests.filter((r) => r.path === '/v1/chat/completions').pop()!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages[0]!.content).toMatch(/^You are Emi\./);
    expect(sent.messages[0]!.content).toMatch(/Biscuit/);
    expect(sent.messages[sent.messages.length - 1]).toEqual({ role: 'user', content: 'What is my dog called?' });
    const uses = await t.emily.withUser(u.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM memory_uses WHERE turn_id = $1', [out.assistantTurnId])).rows[0].n);
    expect(uses).toBe(out.memories.filter((m) => m.tier === 'L3').length);
    expect(uses).toBeGreaterThan(0);
  });

  it('asks a configured embedding server for the message once: learning reuses the vector its recall made and embeds the reply', async () => {
    const server = await startFakeEmbeddingServer({ dimensions: 8 });
    try {
      const u = await t.user();
      const embedder = new OpenAIEmbedder({ baseUrl: server.base, model: 'fake-embed', dimensions: 8 });
      const engine = new ChatEngine(t.emily, { embedderFor: async () => embedder });
      const plain = 'hello there, how are you today';
      const first = await engine.send(u.id, undefined, { text: plain });
      expect(first.learned.promoted).toEqual([]);
      expect(server.requests).toEqual([[plain], [first.reply]]);
      // Both turns keep their vector of this model, so that full text finds them scored on similarity too.
      const turnVectors = await t.emily.withUser(u.id, async (c) =>
        (await c.query("SELECT e.turn_id, vector_dims(e.embedding) AS d FROM turn_embeddings e JOIN embedding_models m ON m.idx = e.model_idx WHERE m.id = 'fake-embed' ORDER BY 1")).rows,
      );
      expect(turnVectors.map((r) => [Number(r.turn_id), r.d])).toEqual([
        [first.userTurnId, 8],
        [first.assistantTurnId, 8],
      ]);

      server.requests.length = 0;
      const fact = 'My sister is Ana. Remember that she loves green tea.';
      const second = await engine.send(u.id, undefined, { conversationId: first.conversationId, text: fact });
      expect(second.learned.promoted.length).toBeGreaterThan(0);
      expect(server.requests.length).toBe(2);
      expect(server.requests[0]).toEqual([fact]);
      expect(server.requests[1]!.length).toBeGreaterThan(0);
      expect(server.requests[1]).not.toContain(fact);
      expect(server.requests[1]![0]).toBe(second.reply);
      const stored = await t.emily.withUser(u.id, async (c) =>
        (await c.query("SELECT vector_dims(e.embedding) AS d FROM memory_embeddings e JOIN embedding_models m ON m.idx = e.model_idx WHERE m.id = 'fake-embed' AND e.memory_id = ANY($1::bigint[])", [second.learned.promoted])).rows,
      );
      expect(stored.map((r) => r.d)).toEqual(second.learned.promoted.map(() => 8));

      // Past the part of a message its L4 vector covers, the recall's vector is of another text.
      server.requests.length = 0;
      const long = `${'so '.repeat(1500)}then we left`;
      await engine.send(u.id, undefined, { conversationId: first.conversationId, text: long });
      expect(server.requests.length).toBe(2);
      expect(server.requests[1]![0]).toBe(long.slice(0, 4000));
    } finally {
      await server.close();
    }
  });

  it('keeps the exchange when the embedding server is down: recalls by text, saves both turns, leaves the learning to background jobs', async () => {
    const u = await t.user();
    await new ChatEngine(t.emily).send(u.id, undefined, { text: 'My sister is Ana. Remember that she loves green tea.' });
    const down = new OpenAIEmbedder({ baseUrl: 'http://127.0.0.1:9/v1', model: 'down-embed', dimensions: 8, timeoutMs: 2000 });
    const engine = new ChatEngine(t.emily, { embedderFor: async () => down });
    fake.script({ kind: 'reply', chunks: ['Ana loves', ' green tea.'] });
    const out = await engine.send(u.id, openai(), { text: 'What does Ana love? Remember that my brother is called Tom.' });
    expect(out).toMatchObject({ mode: 'model', reply: 'Ana loves green tea.', cut: false });
    expect(out.memories.some((m) => m.tier === 'L3' && /Ana/.test(m.content))).toBe(true);
    const stored = await t.emily.withUser(u.id, async (c) => (await c.query('SELECT role, content, consolidated FROM turns WHERE conversation_id = $1 ORDER BY id', [out.conversationId])).rows);
    expect(stored).toEqual([
      { role: 'user', content: 'What does Ana love? Remember that my brother is called Tom.', consolidated: false },
      { role: 'assistant', content: 'Ana loves green tea.', consolidated: true },
    ]);
    const jobs = await t.emily.withUser(u.id, async (c) => (await c.query("SELECT kind FROM jobs WHERE status = 'queued' ORDER BY kind")).rows.map((r) => r.kind));
    expect(jobs).toEqual(expect.arrayContaining(['consolidate', 'reembed']));
    // Once the backlog is consolidated (the embedder is back), what was said becomes a memory.
    const { consolidateBacklog } = await import('../../../electron/cognition/index.js');
    await consolidateBacklog(t.emily, u.id, {});
    const tom = await t.emily.withUser(u.id, async (c) => (await c.query("SELECT count(*)::int AS n FROM memories WHERE content ILIKE '%Tom%'")).rows[0].n);
    expect(tom).toBeGreaterThan(0);
  });

  it("names a model whose server now sends vectors of another size, and a chat still answers by text", async () => {
    const [s8, s12] = [await startFakeEmbeddingServer({ dimensions: 8 }), await startFakeEmbeddingServer({ dimensions: 12 })];
    try {
      const u = await t.user();
      await new ChatEngine(t.emily, { embedderFor: async () => new OpenAIEmbedder({ baseUrl: s8.base, model: 'same-name' }) }).send(u.id, undefined, { text: 'My cat is called Miso.' });
      const grown = new OpenAIEmbedder({ baseUrl: s12.base, model: 'same-name' });
      const { recall } = await import('../../../electron/cognition/index.js');
      await expect(recall(t.emily, u.id, 'my cat', { embedder: grown })).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/"same-name" now gives 12-dimensional vectors.*8-dimensional.*new name in Settings/) });
      const out = await new ChatEngine(t.emily, { embedderFor: async () => grown }).send(u.id, undefined, { text: 'What is my cat called?' });
      expect(out.mode).toBe('memory');
      expect(out.reply).toMatch(/Miso/);
    } finally {
      await s8.close();
      await s12.close();
    }
  });

  it('keeps who she is when the model is swapped', async () => {
    const u = await t.user();
    await t.emily.withUser(u.id, (c) => c.query("UPDATE identity SET name = 'Nova', persona = 'Calm and precise.'"));
    const engine = new ChatEngine(t.emily);
    fake.script({ kind: 'reply', chunks: ['a'] }, { kind: 'reply', chunks: ['b'] });
    await engine.send(u.id, openai(), { text: 'hello' });
    await engine.send(u.id, new AnthropicModel({ baseUrl: fake.url, model: 'test-model', apiKey: 'k', timeouts: fast }), { text: 'hello again' });
    const oa = fake.requests.filter((r) => r.path === '/v1/chat/completions').pop()!.body as { messages: { content: string }[] };
    const an = fake.requests.filter((r) => r.path === '/v1/messages').pop()!.body as { system: string };
    expect(oa.messages[0]!.content).toMatch(/^You are Nova\. Calm and precise\./);
    expect(an.system).toMatch(/^You are Nova\. Calm and precise\./);
  });

  it('falls back to memory when the model is unreachable, saying why', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    const statuses: string[] = [];
    const out = await engine.send(u.id, new OpenAICompatibleModel({ baseUrl: 'http://127.0.0.1:9/v1', model: 'x', timeouts: fast }), { text: 'Are you there?' }, { status: (s) => statuses.push(`${s.mode}:${s.reason ?? ''}`) });
    expect(out).toMatchObject({ mode: 'memory', error: { code: 'MODEL_UNREACHABLE' } });
    expect(out.reply).toMatch(/cannot reach my language model/);
    expect(statuses).toEqual(['model:', 'memory:model-unreachable']);
    expect((await turns(u.id, out.conversationId)).length).toBe(2);
  });

  it('keeps a reply cut short by a dropped stream, and one cancelled by the user, marked as cut', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    fake.script({ kind: 'drop-after', chunks: ['I was say', 'ing'] });
    const dropped = await engine.send(u.id, openai(), { text: 'Tell me a story' });
    expect(dropped).toMatchObject({ mode: 'model', reply: 'I was saying', cut: true, error: { code: 'PROVIDER_ERROR' } });

    fake.script({ kind: 'stall-after', chunks: ['Once upon'] });
    const ctl = new AbortController();
    const cancelled = await engine.send(u.id, openai(), { conversationId: dropped.conversationId, text: 'Another one' }, { token: () => ctl.abort() }, ctl.signal);
    expect(cancelled).toMatchObject({ reply: 'Once upon', cut: true, mode: 'model' });
    const stored = await turns(u.id, dropped.conversationId);
    expect(stored.map((r) => [r.role, r.content, r.cut])).toEqual([
      ['user', 'Tell me a story', false],
      ['assistant', 'I was saying', true],
      ['user', 'Another one', false],
      ['assistant', 'Once upon', true],
    ]);
  });

  it('stops a reply that never ends (deadline) or outgrows a turn (size), keeping what was said, marked as cut', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily, { replyDeadlineMs: 1500 });
    fake.script({ kind: 'endless', piece: 'la ', everyMs: 20 });
    const endless = await engine.send(u.id, openai(), { text: 'Sing me something' });
    expect(endless).toMatchObject({ mode: 'model', cut: true, error: { code: 'PROVIDER_ERROR', message: expect.stringMatching(/still replying after 2 s; Emily stopped it and kept/) } });
    expect(endless.reply).toMatch(/^(la )+/);
    const big = 'y'.repeat(400_000);
    fake.script({ kind: 'reply', chunks: [big, big, big] });
    const huge = await engine.send(u.id, openai(), { conversationId: endless.conversationId, text: 'And a long one' });
    expect(huge).toMatchObject({ mode: 'model', cut: true, error: { message: expect.stringMatching(/1,048,576 characters/) } });
    expect(huge.reply.length).toBe(1_048_576);
    const stored = await turns(u.id, endless.conversationId);
    expect(stored.map((r) => [r.role, r.cut, r.content.length])).toEqual([
      ['user', false, 17],
      ['assistant', true, endless.reply.trimEnd().length],
      ['user', false, 14],
      ['assistant', true, 1_048_576],
    ]);
  });

  it('treats a finished reply with no text in it as a failed model, answering from memory', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    for (const chunks of [[], ['  ', '\n'], ['\u0000\u0000']]) {
      fake.script({ kind: 'reply', chunks });
      const out = await engine.send(u.id, openai(), { text: 'Hello?' });
      expect(out, JSON.stringify(chunks)).toMatchObject({ mode: 'memory', error: { code: 'PROVIDER_ERROR', message: expect.stringMatching(/without any text/) } });
      expect((await turns(u.id, out.conversationId)).map((r) => r.role)).toEqual(['user', 'assistant']);
    }
  });

  it('refuses an empty message and writes nothing; keeps a 1 MB message whole and fits the model context', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    await expect(engine.send(u.id, undefined, { text: ' \u0000 ' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(engine.send(u.id, undefined, { text: 'x'.repeat(1_048_577) })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/split it/) });
    expect(await t.emily.withUser(u.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM turns')).rows[0].n)).toBe(0);
    const big = 'word '.repeat(200_000).trim();
    fake.script({ kind: 'reply', chunks: ['That is long.'] });
    const out = await engine.send(u.id, openai(), { text: big });
    const sent = fake.requests.filter((r) => r.path === '/v1/chat/completions').pop()!.body as { messages: { content: string }[] };
    expect(sent.messages[sent.messages.length - 1]!.content).toMatch(/characters left out to fit the model's context/);
    expect(JSON.stringify(sent).length).toBeLessThan(40_000);
    const stored = await t.emily.withUser(u.id, async (c) => (await c.query('SELECT length(content) AS n FROM turns WHERE id = $1', [out.userTurnId])).rows[0].n);
    expect(stored).toBe(big.length);
  });

  it('says clearly when the conversation is deleted while Emily is replying, keeping nothing half-written', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    const first = await engine.send(u.id, undefined, { text: 'hello' });
    fake.script({ kind: 'reply', chunks: ['one', 'two'] });
    let deleted = false;
    const run = engine.send(u.id, openai(), { conversationId: first.conversationId, text: 'and now?' }, {
      token: () => {
        if (!deleted) {
          deleted = true;
          void t.emily.withUser(u.id, (c) => c.query('DELETE FROM conversations WHERE id = $1', [first.conversationId]));
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/deleted while Emily was replying/) });
    expect(await t.emily.withUser(u.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM turns')).rows[0].n)).toBe(0);
  });

  it('feeds explicit feedback back onto the memories used by a reply', async () => {
    const u = await t.user();
    const engine = new ChatEngine(t.emily);
    await engine.send(u.id, undefined, { text: 'My favourite colour is teal.' });
    fake.script({ kind: 'reply', chunks: ['Teal!'] });
    const out: TurnOutcome = await engine.send(u.id, openai(), { text: 'What is my favourite colour?' });
    const before = await t.emily.withUser(u.id, async (c) => (await c.query("SELECT outcome FROM memories WHERE content ILIKE '%teal%'")).rows[0].outcome);
    await engine.feedback(u.id, out.assistantTurnId, 'wrong');
    const after = await t.emily.withUser(u.id, async (c) => (await c.query("SELECT m.outcome, (SELECT count(*)::int FROM outcome_events e WHERE e.memory_id = m.id AND e.signal = 'wrong') AS wrongs FROM memories m WHERE content ILIKE '%teal%'")).rows[0]);
    expect(after.wrongs).toBe(1);
    expect(after.outcome).toBeLessThan(before);
  });
});

describe('drift checks from chat', () => {
  it('measures drift every N turns off the turn path: the first check takes the Golden Baseline', async () => {
    const u = await t.user();
    await t.emily.withUserTransaction(u.id, async (c) => {
      for (let i = 0; i < 12; i++) await c.query("INSERT INTO memories (content, kind, source) VALUES ($1, 'fact', 'user-stated')", [`fact number ${i}`]);
    });
    const engine = new ChatEngine(t.emily, { driftEvery: 2 });
    const baselines = async () => t.emily.withUser(u.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM baselines')).rows[0].n);
    await engine.send(u.id, undefined, { text: 'first' });
    await engine.settle();
    expect(await baselines()).toBe(0);
    await engine.send(u.id, undefined, { text: 'second' });
    await engine.settle();
    expect(await baselines()).toBe(1);
  });
});

describe('a chat turn stopped before Emily says anything', () => {
  it('keeps the message and answers it with no reply, not an error', async () => {
    const u = await t.user();
    fake.script({ kind: 'hang' });
    const model = new OpenAICompatibleModel({ baseUrl: `${fake.url}/v1`, model: 'test-model', timeouts: { connectMs: 1000, idleMs: 30_000, retries: 0 } });
    const svc = chatService(t.emily, { fixedModel: model });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const sink = { memories: () => undefined, status: () => undefined, token: () => undefined };
    const r = await svc.send(u.id, {} as ResolvedLanguageModel, { conversationId: null, text: 'hang please' }, sink, stop.signal);
    expect(r.user.text).toBe('hang please');
    expect(r.reply).toBeNull();
    expect((await turns(u.id, Number(r.conversation.id))).map((x) => [x.role, x.content])).toEqual([['user', 'hang please']]);
    await svc.settle();
  });
});

describe('a chat turn whose model refuses', () => {
  it('answers from memory labelled as a model failure, with what the server said', async () => {
    const u = await t.user();
    fake.script({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided' } } });
    const svc = chatService(t.emily, { fixedModel: openai() });
    const sink = { memories: () => undefined, status: () => undefined, token: () => undefined };
    const r = await svc.send(u.id, {} as ResolvedLanguageModel, { conversationId: null, text: 'hello there' }, sink, new AbortController().signal);
    expect(r.reply).toMatchObject({ answeredBy: 'memory', memoryReason: 'model-failed', modelError: expect.stringMatching(/API key/) });
    await svc.settle();
  });
});
