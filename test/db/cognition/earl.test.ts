import { describe, expect, it } from 'vitest';
import { giveFeedback, learnFromExchange } from '../../../electron/cognition/index.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

async function q<T = Record<string, unknown>>(userId: string, sql: string, args: unknown[] = []): Promise<T[]> {
  return t.emily.withUser(userId, async (c) => (await c.query(sql, args)).rows as T[]);
}

async function setup(name: string) {
  const u = await t.user(name);
  const a = await learnFromExchange(t.emily, u.id, { userText: 'I love cooking Thai curries on Sundays.', assistantText: 'Lovely.' });
  const memoryId = a.promoted[0]!;
  // A reply that drew on that memory.
  const reply = await learnFromExchange(t.emily, u.id, {
    conversationId: a.conversationId,
    userText: 'What should I make this weekend?',
    assistantText: 'How about a green Thai curry, since you love cooking them on Sundays?',
    usedMemories: [{ memoryId, score: { similarity: 0.8 } }],
  });
  return { u, memoryId, conversationId: a.conversationId, replyTurnId: reply.assistantTurnId! };
}

describe('EARL outcome learning', () => {
  it('a continuing follow-up records a continue event and raises outcome and epsilon', async () => {
    const { u, memoryId, conversationId } = await setup('earl-continue');
    const before = (await q<{ outcome: number; epsilon: number }>(u.id, 'SELECT outcome, epsilon FROM memories WHERE id = $1', [memoryId]))[0]!;
    const r = await learnFromExchange(t.emily, u.id, { conversationId, userText: 'Great idea, I will cook the green curry with extra basil.' });
    expect(r.followUp.signal).toBe('continue');
    const ev = await q<{ signal: string; value: number }>(u.id, 'SELECT signal, value FROM outcome_events WHERE memory_id = $1', [memoryId]);
    expect(ev).toEqual([{ signal: 'continue', value: 1 }]);
    const after = (await q<{ outcome: number; epsilon: number }>(u.id, 'SELECT outcome, epsilon FROM memories WHERE id = $1', [memoryId]))[0]!;
    expect(after.outcome).toBeCloseTo(0.6, 5);
    expect(after.epsilon).toBeGreaterThan(before.epsilon);
    const use = await q<{ resolved: boolean; turns_seen: number }>(u.id, 'SELECT resolved, turns_seen FROM memory_uses');
    expect(use).toEqual([{ resolved: false, turns_seen: 1 }]);
  });

  it('a correction records a correct event and lowers outcome; the use closes', async () => {
    const { u, memoryId, conversationId } = await setup('earl-correct');
    const r = await learnFromExchange(t.emily, u.id, { conversationId, userText: "No, that's wrong, I stopped cooking curries years ago." });
    expect(r.followUp.signal).toBe('correct');
    const m = (await q<{ outcome: number }>(u.id, 'SELECT outcome FROM memories WHERE id = $1', [memoryId]))[0]!;
    expect(m.outcome).toBeCloseTo(0.4, 5);
    expect(await q(u.id, 'SELECT resolved FROM memory_uses')).toEqual([{ resolved: true }]);
  });

  it('a sharp change of topic is a redirect', async () => {
    const { u, memoryId, conversationId } = await setup('earl-redirect');
    const r = await learnFromExchange(t.emily, u.id, { conversationId, userText: 'Anyway, can you explain how mortgage interest rates are calculated by banks?' });
    expect(r.followUp.signal).toBe('redirect');
    const ev = await q<{ value: number }>(u.id, 'SELECT value FROM outcome_events WHERE memory_id = $1', [memoryId]);
    expect(ev).toEqual([{ value: -0.5 }]);
  });

  it('explicit feedback overrides the classifier and the metrics follow the history', async () => {
    const { u, memoryId, conversationId, replyTurnId } = await setup('earl-feedback');
    await learnFromExchange(t.emily, u.id, { conversationId, userText: 'No, that is not what I asked at all.' });
    expect((await q<{ outcome: number }>(u.id, 'SELECT outcome FROM memories WHERE id = $1', [memoryId]))[0]!.outcome).toBeCloseTo(0.4, 5);
    const fb = await giveFeedback(t.emily, u.id, replyTurnId, 'helpful');
    expect(fb.memoryIds).toEqual([memoryId]);
    const ev = await q<{ signal: string; overridden: boolean }>(u.id, 'SELECT signal, overridden FROM outcome_events WHERE memory_id = $1 ORDER BY id', [memoryId]);
    expect(ev).toEqual([
      { signal: 'correct', overridden: true },
      { signal: 'helpful', overridden: false },
    ]);
    expect((await q<{ outcome: number }>(u.id, 'SELECT outcome FROM memories WHERE id = $1', [memoryId]))[0]!.outcome).toBeCloseTo(0.6, 5);
  });

  it('a correction given as feedback marks the reply wrong and learns the corrected statement', async () => {
    const u = await t.user('earl-correction');
    const a = await learnFromExchange(t.emily, u.id, { userText: 'My favourite colour is green.', assistantText: 'Green it is.' });
    const reply = await learnFromExchange(t.emily, u.id, { conversationId: a.conversationId, userText: 'Which colour do I like?', assistantText: 'Green.', usedMemories: [{ memoryId: a.promoted[0]! }] });
    const fb = await giveFeedback(t.emily, u.id, reply.assistantTurnId, { correction: 'my favourite colour is blue' });
    expect(fb.signal).toBe('wrong');
    const newId = fb.correction!.promoted[0]!;
    const e = await q(u.id, 'SELECT kind FROM memory_edges WHERE src = $1 AND dst = $2', [newId, a.promoted[0]]);
    expect(e).toEqual([{ kind: 'supersedes' }]);
    expect((await q<{ outcome: number }>(u.id, 'SELECT outcome FROM memories WHERE id = $1', [a.promoted[0]]))[0]!.outcome).toBeCloseTo(0.4, 5);
  });

  it("a correction on an older reply is not charged to the memories of a later one", async () => {
    const u = await t.user('earl-older');
    const a = await learnFromExchange(t.emily, u.id, { userText: 'My sister is called Ana.', assistantText: 'Noted.' });
    const b = await learnFromExchange(t.emily, u.id, { conversationId: a.conversationId, userText: 'I love green curry.', assistantText: 'Yum.' });
    const r1 = await learnFromExchange(t.emily, u.id, { conversationId: a.conversationId, userText: 'Who is my sister?', assistantText: 'Ana.', usedMemories: [{ memoryId: a.promoted[0]! }] });
    const r2 = await learnFromExchange(t.emily, u.id, { conversationId: a.conversationId, userText: 'What should I cook?', assistantText: 'Green curry.', usedMemories: [{ memoryId: b.promoted[0]! }] });
    expect(r2.assistantTurnId).toBeGreaterThan(r1.assistantTurnId!);
    await giveFeedback(t.emily, u.id, r1.assistantTurnId, { correction: 'my sister is called Maria' });
    const curry = await q<{ signal: string }>(u.id, 'SELECT signal FROM outcome_events WHERE memory_id = $1', [b.promoted[0]]);
    expect(curry).toEqual([]);
    expect((await q<{ outcome: number }>(u.id, 'SELECT outcome FROM memories WHERE id = $1', [b.promoted[0]]))[0]!.outcome).toBeCloseTo(0.5, 5);
    expect((await q<{ signal: string }>(u.id, 'SELECT signal FROM outcome_events WHERE memory_id = $1', [a.promoted[0]])).map((e) => e.signal)).toContain('wrong');
  });

  it('a use stays open for the 5-turn window, then closes; stability follows agreeing outcomes', async () => {
    const { u, memoryId, conversationId } = await setup('earl-window');
    const texts = ['Sounds good, curry it is.', 'Yes, and rice on the side.', 'Okay, thanks.', 'Great, I will buy basil.', 'Sure.'];
    for (const text of texts) await learnFromExchange(t.emily, u.id, { conversationId, userText: text });
    expect(await q(u.id, 'SELECT resolved, turns_seen FROM memory_uses')).toEqual([{ resolved: true, turns_seen: 5 }]);
    expect(await q(u.id, 'SELECT count(*)::int AS n FROM outcome_events')).toEqual([{ n: 1 }]);
    const s = (await q<{ stability: number }>(u.id, 'SELECT stability FROM memories WHERE id = $1', [memoryId]))[0]!.stability;
    expect(s).toBeGreaterThan(0.3);
  });

  it('feedback on a turn that does not exist, or is not a reply, is refused', async () => {
    const { u } = await setup('earl-bad');
    await expect(giveFeedback(t.emily, u.id, 999999, 'helpful')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const first = (await q<{ id: string }>(u.id, "SELECT id FROM turns WHERE role = 'user' ORDER BY id LIMIT 1"))[0]!;
    await expect(giveFeedback(t.emily, u.id, Number(first.id), 'wrong')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(giveFeedback(t.emily, u.id, 1, 'meh' as 'helpful')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
