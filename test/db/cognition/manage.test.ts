import { describe, expect, it } from 'vitest';
import { archiveMemory, deleteMemory, editMemory, getMemory, learnFromExchange, listMemories, pinMemory, recall, tierBalance, type MemorySummary, type TurnSummary } from '../../../electron/cognition/index.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();

describe('memory management API', () => {
  it('lists, filters, searches, gets, edits with history, pins, archives, deletes, and reports the tier balance', async () => {
    const u = await t.user('manager');
    const a = await learnFromExchange(t.emily, u.id, { userText: 'My sister is called Ana.', assistantText: 'Nice!' });
    const b = await learnFromExchange(t.emily, u.id, { userText: 'I love cooking Thai curries.', assistantText: 'Yum.' });
    const anaId = a.promoted[0]!;
    const curryId = b.promoted[0]!;

    const all = await listMemories(t.emily, u.id);
    expect(all.total).toBe(2);
    const prefs = await listMemories(t.emily, u.id, { kind: 'preference' });
    expect((prefs.items as MemorySummary[]).map((m) => m.id)).toEqual([curryId]);
    const search = await listMemories(t.emily, u.id, { q: 'sis' });
    expect((search.items as MemorySummary[]).map((m) => m.id)).toEqual([anaId]);
    const l4 = await listMemories(t.emily, u.id, { tier: 'L4', q: 'curries' });
    expect((l4.items as TurnSummary[]).map((x) => x.content)).toEqual(['I love cooking Thai curries.']);

    const detail = await getMemory(t.emily, u.id, anaId);
    expect(Object.keys(detail.metrics)).toHaveLength(14);
    expect(detail.provenance.map((p) => p.turnId)).toEqual([a.userTurnId]);
    expect(detail.embeddings).toEqual([expect.objectContaining({ model: 'emily-hash-v1', dimensions: 384 })]);

    const edited = await editMemory(t.emily, u.id, anaId, 'My sister is called Ana Sofia.');
    expect(edited.content).toBe('My sister is called Ana Sofia.');
    expect(edited.id).toBe(anaId);
    const history = edited.edges.find((e) => e.kind === 'supersedes')!;
    expect(history).toMatchObject({ direction: 'out', other: { content: 'My sister is called Ana.', archived: true } });
    const hit = await recall(t.emily, u.id, 'Ana Sofia', { k: 1, memoriesOnly: true });
    expect(hit.results[0]!.id).toBe(anaId);
    expect(hit.results[0]!.components.similarity).toBeGreaterThan(0.5);

    expect((await pinMemory(t.emily, u.id, curryId)).pinned).toBe(true);
    expect((await listMemories(t.emily, u.id, { pinned: true })).items.map((m) => m.id)).toEqual([curryId]);
    await archiveMemory(t.emily, u.id, curryId);
    expect((await listMemories(t.emily, u.id)).items.map((m) => m.id)).toEqual([anaId]);
    expect((await listMemories(t.emily, u.id, { archived: true })).total).toBe(2);
    const gone = await recall(t.emily, u.id, 'Thai curries', { memoriesOnly: true });
    expect(gone.results.map((r) => r.id)).not.toContain(curryId);

    expect(await deleteMemory(t.emily, u.id, curryId)).toEqual({ deleted: curryId });
    await expect(getMemory(t.emily, u.id, curryId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(deleteMemory(t.emily, u.id, curryId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pinMemory(t.emily, u.id, 123456)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const bal = await tierBalance(t.emily, u.id);
    expect(bal).toMatchObject({ l3: 1, l4: 4, l3Share: 0.2, state: 'balanced' });
  });

  it('shows recency as it is now: a memory last used two half-lives ago is at a quarter', async () => {
    const u = await t.user('recency');
    const r = await learnFromExchange(t.emily, u.id, { userText: 'My cousin Leo plays the cello.' });
    const id = r.promoted[0]!;
    expect((await getMemory(t.emily, u.id, id)).metrics.recency).toBeGreaterThan(0.99);
    await t.emily.withUser(u.id, (c) => c.query("UPDATE memories SET last_used_at = now() - interval '60 days', created_at = now() - interval '90 days' WHERE id = $1", [id]));
    expect((await getMemory(t.emily, u.id, id)).metrics.recency).toBeCloseTo(0.25, 3);
    const listed = (await listMemories(t.emily, u.id)).items as MemorySummary[];
    expect(listed.find((m) => m.id === id)!.metrics.recency).toBeCloseTo(0.25, 3);
    const hit = await recall(t.emily, u.id, 'cousin Leo cello', { k: 1, memoriesOnly: true });
    expect(hit.results[0]!.components.recency).toBeCloseTo(0.25, 3);
  });
});
