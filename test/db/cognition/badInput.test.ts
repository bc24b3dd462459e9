import { describe, expect, it } from 'vitest';
import { getMemory, learnFromExchange, recall } from '../../../electron/cognition/index.js';
import { isEmilyError } from '../../../electron/core/errors.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!isEmilyError(e)) throw e;
    return e.code;
  }
}

describe('bad input', () => {
  it('refuses empty text and leaves nothing behind', async () => {
    const u = await t.user('empty');
    expect(await code(learnFromExchange(t.emily, u.id, { userText: '   ' }))).toBe('BAD_INPUT');
    expect(await code(learnFromExchange(t.emily, u.id, { userText: 42 as unknown as string }))).toBe('BAD_INPUT');
    expect(await code(recall(t.emily, u.id, ''))).toBe('BAD_INPUT');
    const n = await t.emily.withUser(u.id, (c) => c.query('SELECT (SELECT count(*) FROM turns)::int AS t, (SELECT count(*) FROM conversations)::int AS c'));
    expect(n.rows[0]).toEqual({ t: 0, c: 0 });
  });

  it('stores a 1 MB message whole, and refuses a larger one', async () => {
    const u = await t.user('huge');
    const big = 'I like long walks. '.repeat(55_000).slice(0, 1_000_000);
    const r = await learnFromExchange(t.emily, u.id, { userText: big });
    const len = await t.emily.withUser(u.id, (c) => c.query('SELECT length(content) AS n FROM turns WHERE id = $1', [r.userTurnId]));
    expect(len.rows[0].n).toBe(big.trim().length);
    expect(await code(learnFromExchange(t.emily, u.id, { userText: 'x'.repeat(1_100_000) }))).toBe('BAD_INPUT');
  });

  it('strips NUL and control bytes from binary-looking text, keeps any script', async () => {
    const u = await t.user('binary');
    const r = await learnFromExchange(t.emily, u.id, { userText: 'My name is \u0000Zoë\u0001 — 我的名字是佐伊 — اسمي زوي \ud800' });
    const row = await t.emily.withUser(u.id, (c) => c.query('SELECT content FROM turns WHERE id = $1', [r.userTurnId]));
    expect(row.rows[0].content).toBe('My name is Zoë — 我的名字是佐伊 — اسمي زوي');
    const hit = await recall(t.emily, u.id, '佐伊');
    expect(hit.results.length).toBeGreaterThan(0);
    expect(await code(learnFromExchange(t.emily, u.id, { userText: '\u0000\u0001\u0002' }))).toBe('BAD_INPUT');
  });

  it('refuses a query embedding of the wrong dimension and unknown ids clearly', async () => {
    const u = await t.user('dims');
    expect(await code(recall(t.emily, u.id, 'hello', { queryVector: new Float32Array(12) }))).toBe('BAD_INPUT');
    expect(await code(getMemory(t.emily, u.id, 999999))).toBe('NOT_FOUND');
    expect(await code(getMemory(t.emily, u.id, 'drop table'))).toBe('BAD_INPUT');
    expect(await code(learnFromExchange(t.emily, u.id, { conversationId: 424242, userText: 'hello there' }))).toBe('NOT_FOUND');
    const n = await t.emily.withUser(u.id, (c) => c.query('SELECT count(*)::int AS n FROM turns'));
    expect(n.rows[0].n).toBe(0);
  });

  it('a query with no words (emoji, punctuation) brings up nothing rather than arbitrary memories with no score', async () => {
    const u = await t.user('nowords');
    await learnFromExchange(t.emily, u.id, { userText: 'My sister Ana lives in Lisbon and works as a nurse.' });
    await learnFromExchange(t.emily, u.id, { userText: 'I love cooking spicy Thai curries on Sundays.' });
    for (const q of ['!!!', '🎂🎂🎂']) {
      const r = await recall(t.emily, u.id, q);
      expect(r.results).toEqual([]);
    }
    const hit = await recall(t.emily, u.id, 'where does Ana live');
    expect(hit.results.length).toBeGreaterThan(0);
    for (const x of hit.results) expect(Number.isFinite(x.score)).toBe(true);
  });
});
