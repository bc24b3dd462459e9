import { describe, expect, it } from 'vitest';
import { storeUserTurn } from '../../../electron/chat/userTurn.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

describe('storing the user turn', () => {
  it('answers the conversation before the new turn, oldest first and without system turns, with the identity', async () => {
    const u = await t.user();
    const first = await storeUserTurn(t.emily, u.id, { text: 'Hello there', title: 'Hello there', historyTurns: 20 });
    expect(first.history).toEqual([]);
    expect(first.identity.name).toBe('Emily');
    await t.emily.withUser(u.id, (c) =>
      c.query("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'assistant', 'Hi! ünïcode ✓'), ($1, 'system', 'hidden')", [first.conversationId]),
    );
    await t.emily.withUser(u.id, (c) => c.query("UPDATE identity SET name = 'Emi', values = '[\"care\"]'"));
    const second = await storeUserTurn(t.emily, u.id, { conversationId: first.conversationId, text: 'And again', title: 'x', historyTurns: 20 });
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.userTurnId).toBeGreaterThan(first.userTurnId);
    expect(second.history).toEqual([
      { role: 'user', content: 'Hello there' },
      { role: 'assistant', content: 'Hi! ünïcode ✓' },
    ]);
    expect(second.identity).toEqual({ name: 'Emi', persona: expect.any(String), values: ['care'] });
    const limited = await storeUserTurn(t.emily, u.id, { conversationId: first.conversationId, text: 'Third', title: 'x', historyTurns: 2 });
    expect(limited.history.map((h) => h.content)).toEqual(['Hi! ünïcode ✓', 'And again']);
  });

  it('refuses a conversation that does not exist and writes nothing', async () => {
    const u = await t.user();
    await expect(storeUserTurn(t.emily, u.id, { conversationId: 999999, text: 'lost', title: 'x', historyTurns: 20 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const n = await t.emily.withUser(u.id, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM turns')).rows[0]!.n);
    expect(n).toBe(0);
  });
});
