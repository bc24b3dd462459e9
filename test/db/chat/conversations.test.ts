import { describe, expect, it } from 'vitest';
import { createConversation, deleteConversation, getTurns, listConversations, renameConversation } from '../../../electron/chat/conversations.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

async function seed(userId: string) {
  return t.emily.withUserTransaction(userId, async (c) => {
    const a = await createConversation(c, 'About Ana');
    const b = await createConversation(c, 'Other');
    const turns = async (conv: number, texts: string[]) => {
      const ids: number[] = [];
      for (const [i, text] of texts.entries()) ids.push(Number((await c.query('INSERT INTO turns (conversation_id, role, content) VALUES ($1, $2, $3) RETURNING id', [conv, i % 2 ? 'assistant' : 'user', text])).rows[0].id));
      return ids;
    };
    const ta = await turns(a, ['My sister is Ana', 'Noted!']);
    const tb = await turns(b, ['Ana likes tea', 'Lovely.']);
    const mem = async (content: string, sources: number[]) => {
      const id = Number((await c.query("INSERT INTO memories (content, kind, source) VALUES ($1, 'fact', 'user-stated') RETURNING id", [content])).rows[0].id);
      for (const s of sources) await c.query('INSERT INTO memory_sources (memory_id, turn_id) VALUES ($1, $2)', [id, s]);
      return id;
    };
    const onlyA = await mem("Ana is the user's sister", [ta[0]!]);
    const both = await mem('Ana exists', [ta[0]!, tb[0]!]);
    return { a, b, onlyA, both };
  });
}

describe('conversations', () => {
  it('lists, opens and renames conversations', async () => {
    const u = await t.user();
    const { a } = await seed(u.id);
    await t.emily.withUser(u.id, async (c) => {
      const list = await listConversations(c);
      expect(list.map((x) => x.title).sort()).toEqual(['About Ana', 'Other']);
      expect(list.find((x) => x.id === a)).toMatchObject({ turns: 2, lastText: 'Noted!' });
      expect((await getTurns(c, a)).map((x) => [x.role, x.content])).toEqual([['user', 'My sister is Ana'], ['assistant', 'Noted!']]);
      await renameConversation(c, a, '  Family\u0000stuff ');
      expect((await listConversations(c)).find((x) => x.id === a)!.title).toBe('Family stuff');
      await expect(renameConversation(c, 999999, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(getTurns(c, 'abc')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });
  });

  it('deleting keeps learned memories unless asked; asked, it forgets only memories sourced solely from it', async () => {
    const u = await t.user();
    const { a, b, onlyA, both } = await seed(u.id);
    const memoryIds = () => t.emily.withUser(u.id, async (c) => (await c.query('SELECT id FROM memories ORDER BY id')).rows.map((r) => Number(r.id)));
    expect(await t.emily.withUserTransaction(u.id, (c) => deleteConversation(c, b))).toEqual({ turns: 2, memories: 0 });
    expect(await memoryIds()).toEqual([onlyA, both]);
    expect(await t.emily.withUserTransaction(u.id, (c) => deleteConversation(c, a, { forgetMemories: true }))).toEqual({ turns: 2, memories: 2 });
    expect(await memoryIds()).toEqual([]);
    await expect(t.emily.withUserTransaction(u.id, (c) => deleteConversation(c, a))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
