import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEmbedder, recall } from '../../../electron/cognition/index.js';
import { BackgroundSwitch, cognitionHandlers, JobRunner } from '../../../electron/jobs/index.js';
import { learnImported } from '../../../electron/operations/learnImported.js';
import { importChatHistory } from '../../../electron/portability/chat/importChat.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();
const fixtures = path.join(import.meta.dirname, '../../fixtures/portability');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-chat-'));
let userId: string;

beforeAll(async () => {
  userId = (await t.user('chatter')).id;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function turns(source: string) {
  return t.emily.withUser(userId, async (c) =>
    (await c.query(`SELECT t.role, t.content, t.source_id, t.created_at, t.meta, t.consolidated, c.title, c.source_id AS conv FROM turns t JOIN conversations c ON c.id = t.conversation_id WHERE t.source = $1 ORDER BY t.id`, [source])).rows,
  );
}

describe('ChatGPT export', () => {
  it('imports the visible branch of each conversation, with source ids, times and progress; learns from the new turns', async () => {
    const learnt: number[][] = [];
    const phases = new Set<string>();
    const r = await importChatHistory(t.emily, userId, path.join(fixtures, 'chatgpt-conversations.json'), {
      learn: async (_u, ids) => void learnt.push(ids),
      onProgress: (p) => phases.add(p.phase),
    });
    expect(r).toMatchObject({ source: 'chatgpt', conversations: 2, turnsInserted: 6, turnsAlreadyThere: 0, learned: 6 });
    expect(r.problems.map((p) => p.where)).toEqual(['conversation 2 (Empty one)', 'conversation 4']);
    expect([...phases]).toEqual(['import', 'learn']);
    const rows = await turns('chatgpt');
    expect(rows.map((x) => [x.role, x.source_id])).toEqual([
      ['user', 'aaaa-0001'],
      ['assistant', 'aaaa-0003'], // the regenerated answer the user kept, not the abandoned one
      ['user', 'aaaa-0004'],
      ['assistant', 'aaaa-0006'], // the tool message in between is not a turn
      ['user', 'bbbb-0001'],
      ['assistant', 'bbbb-0002'],
    ]);
    expect(rows[2]!.content).toBe('And if I travel for a week? 🍞');
    expect(rows[1]!.meta).toEqual({ model: 'gpt-4o' });
    expect(rows[0]!.created_at.toISOString()).toBe('2023-11-14T22:13:21.500Z');
    expect(rows[0]!.title).toBe('Sourdough starter');
    expect(rows[4]!.title).toBe('Imported conversation');
    expect(rows.every((x) => x.consolidated === false)).toBe(true);
    const ids = await t.emily.withUser(userId, async (c) => (await c.query(`SELECT id FROM turns WHERE source = 'chatgpt' ORDER BY id`)).rows.map((x) => Number(x.id)));
    expect(learnt.flat().sort((a, b) => a - b)).toEqual(ids);
  });

  it('the same export as a .zip imports nothing twice', async () => {
    const zip = path.join(dir, 'export.zip');
    fs.writeFileSync(zip, zipSync({ 'chat.html': new TextEncoder().encode('<html></html>'), 'conversations.json': fs.readFileSync(path.join(fixtures, 'chatgpt-conversations.json')) }));
    const learnt: number[] = [];
    const r = await importChatHistory(t.emily, userId, zip, { learn: async (_u, ids) => void learnt.push(...ids) });
    expect(r).toMatchObject({ conversations: 2, turnsInserted: 0, turnsAlreadyThere: 6 });
    expect(learnt).toEqual([]);
    expect(await turns('chatgpt')).toHaveLength(6);
  });

  it('keeps a message whose id another conversation used, drops NULs from its metadata, and reports messages not in the format', async () => {
    const node = (id: string, parent: string | null, text: unknown, extra: object = {}) => ({ id, parent, children: [], message: { id, author: { role: 'user' }, create_time: 1_700_000_000, content: { content_type: 'text', parts: [text] }, ...extra } });
    const conv = (cid: string, nodes: object[]) => ({ id: cid, title: cid, create_time: 1_700_000_000, current_node: (nodes.at(-1) as { id: string }).id, mapping: Object.fromEntries(nodes.map((n) => [(n as { id: string }).id, n])) });
    const file = path.join(dir, 'odd.json');
    fs.writeFileSync(file, JSON.stringify([
      conv('odd-one', [node('same-id', null, 'I play the cello.', { metadata: { model_slug: 'gpt\u0000x' } })]),
      conv('odd-two', [node('same-id', null, 'I live in Porto.'), { ...node('bad-time', 'same-id', 'x'), message: { id: 'bad-time', author: { role: 'user' }, create_time: 'yesterday', content: { content_type: 'text', parts: ['x'] } } }]),
    ]));
    const r = await importChatHistory(t.emily, userId, file);
    expect(r).toMatchObject({ conversations: 2, turnsInserted: 2 });
    expect(r.problems).toEqual([{ where: 'conversation 2 (odd-two)', message: '1 message not in ChatGPT\'s format (skipped)' }]);
    const rows = (await turns('chatgpt')).filter((x) => x.conv.startsWith('odd-'));
    expect(rows.map((x) => [x.conv, x.source_id, x.content])).toEqual([
      ['odd-one', 'same-id', 'I play the cello.'],
      ['odd-two', 'odd-two/same-id', 'I live in Porto.'],
    ]);
    expect(JSON.stringify(rows[0]!.meta)).not.toContain('\\u0000');
    expect((await importChatHistory(t.emily, userId, file)).turnsInserted).toBe(0);
  });

  it('refuses a zip bomb, a zip whose header lies about sizes, and a zip without conversations.json', async () => {
    const before = (await turns('chatgpt')).length;
    const big = new Uint8Array(8 * 1048576); // 8 MiB of zeros compress to a few KiB
    const bomb = path.join(dir, 'bomb.zip');
    fs.writeFileSync(bomb, zipSync({ 'conversations.json': big }, { level: 9 }));
    await expect(importChatHistory(t.emily, userId, bomb, { maxBytes: 1048576 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/larger than 1 MiB/) });
    // Same zip with both size fields claiming 100 bytes: the inflated bytes are what count.
    const liar = Buffer.from(fs.readFileSync(bomb));
    liar.writeUInt32LE(100, 22); // local header: uncompressed size
    const cd = liar.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    liar.writeUInt32LE(100, cd + 24); // central directory: uncompressed size
    fs.writeFileSync(path.join(dir, 'liar.zip'), liar);
    await expect(importChatHistory(t.emily, userId, path.join(dir, 'liar.zip'), { maxBytes: 1048576 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const conversations = fs.readFileSync(path.join(fixtures, 'chatgpt-conversations.json'));
    fs.writeFileSync(path.join(dir, 'two.zip'), zipSync({ 'conversations.json': conversations, 'old/conversations.json': new TextEncoder().encode('[]') }));
    await expect(importChatHistory(t.emily, userId, path.join(dir, 'two.zip'))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('(conversations.json and old/conversations.json); unzip it') });
    fs.writeFileSync(path.join(dir, 'other.zip'), zipSync({ 'notes.txt': new TextEncoder().encode('hi') }));
    await expect(importChatHistory(t.emily, userId, path.join(dir, 'other.zip'))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/ChatGPT/) });
    await expect(importChatHistory(t.emily, userId, path.join(dir, 'missing.zip'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fs.writeFileSync(path.join(dir, 'broken.json'), '[{"title": "x", "mapping": {');
    await expect(importChatHistory(t.emily, userId, path.join(dir, 'broken.json'))).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await turns('chatgpt')).toHaveLength(before);
  });
});

describe('JSON-lines transcripts', () => {
  it('imports good lines, reports bad ones by line number, and is idempotent', async () => {
    const file = path.join(fixtures, 'transcript.jsonl');
    const r = await importChatHistory(t.emily, userId, file);
    expect(r).toMatchObject({ source: 'transcript', conversations: 2, turnsInserted: 6 });
    expect(r.problems.map((p) => p.where)).toEqual(['line 3', 'line 4', 'line 5', 'line 10']);
    expect(r.problems[1]!.message).toMatch(/unknown speaker "narrator"/);
    const rows = await turns('transcript');
    expect(rows.map((x) => [x.conv, x.source_id.replace(/sha256:[0-9a-f]+/, 'sha256:…'), x.content])).toEqual([
      ['trip-2024', 'trip-2024/m1', 'Any tips for Lisbon in May?'],
      ['trip-2024', 'trip-2024/m2', 'Take tram 28 early, before the crowds.'],
      ['transcript', 'transcript/sha256:…', "I'm vegetarian, by the way."],
      ['transcript', 'transcript/sha256:…', 'Noted.'],
      ['transcript', 'transcript/sha256:…', 'ok'],
      ['transcript', 'transcript/sha256:…#2', 'ok'],
    ]);
    expect(rows[0]!.title).toBe('Planning Lisbon');
    const again = await importChatHistory(t.emily, userId, file);
    expect(again).toMatchObject({ turnsInserted: 0, turnsAlreadyThere: 6 });
  });

  it('a NUL inside a message is dropped, not a failed import; a file of which nothing can be read is refused', async () => {
    const file = path.join(dir, 'nul.jsonl');
    fs.writeFileSync(file, '{"conversation":"n1","speaker":"user","text":"I live in Oslo"}\n{"conversation":"n2","title":"t\\u0000","speaker":"user","text":"bad\\u0000x","id":"i\\u0000d"}\n');
    const r = await importChatHistory(t.emily, userId, file);
    expect(r).toMatchObject({ conversations: 2, turnsInserted: 2, problems: [] });
    expect((await turns('transcript')).filter((x) => x.conv === 'n2').map((x) => [x.content, x.source_id, x.title])).toEqual([['badx', 'n2/id', 't']]);
    const junk = path.join(dir, 'junk.jsonl');
    fs.writeFileSync(junk, 'not json\n{"speaker":"narrator","text":"x"}\n');
    await expect(importChatHistory(t.emily, userId, junk)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/no message could be read \(2 lines refused, the first: line 1: not valid JSON\)/) });
  });

  it('one conversation of 150,000 messages imports whole; a time PostgreSQL cannot hold, or not written as a date, is a reported line', async () => {
    const long = path.join(dir, 'long.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++) lines.push(JSON.stringify({ conversation: 'marathon', speaker: i % 2 ? 'assistant' : 'user', text: `m${i}`, id: i }));
    fs.writeFileSync(long, lines.join('\n'));
    const r = await importChatHistory(t.emily, userId, long);
    expect(r).toMatchObject({ conversations: 1, turnsInserted: 150_000 });
    const times = path.join(dir, 'times.jsonl');
    fs.writeFileSync(times, [
      { conversation: 't-ok', speaker: 'user', text: 'fine', time: '2024-05-01T10:00:00Z' },
      { conversation: 't-bad', speaker: 'user', text: 'too old', time: '-010000-01-01T00:00:00Z' },
      { conversation: 't-bad', speaker: 'user', text: 'not a date', time: '1' },
      { conversation: 't-later', speaker: 'user', text: 'still imported' },
    ].map((x) => JSON.stringify(x)).join('\n'));
    const t2 = await importChatHistory(t.emily, userId, times);
    expect(t2).toMatchObject({ conversations: 2, turnsInserted: 2 });
    expect(t2.problems.map((p) => p.where)).toEqual(['line 2', 'line 3']);
    expect(t2.problems[0]!.message).toMatch(/is not an ISO-8601 date/);
  });

  it('a failing learn hook is reported; the turns stay in L4, unconsolidated, for the engine backlog', async () => {
    const file = path.join(dir, 'more.jsonl');
    fs.writeFileSync(file, '{"conversation": "c9", "speaker": "user", "text": "I love climbing.", "id": 1}\n');
    const r = await importChatHistory(t.emily, userId, file, { learn: () => Promise.reject(new Error('model offline')) });
    expect(r.turnsInserted).toBe(1);
    expect(r.learned).toBe(0);
    expect(r.learnError?.message).toMatch(/model offline/);
    const row = (await turns('transcript')).find((x) => x.source_id === 'c9/1');
    expect(row?.consolidated).toBe(false);
  });

  it('cancelling keeps only whole conversations', async () => {
    const file = path.join(dir, 'many.jsonl');
    const lines: string[] = [];
    for (let c = 0; c < 20; c++) for (let i = 0; i < 5; i++) lines.push(JSON.stringify({ conversation: `bulk-${c}`, speaker: i % 2 ? 'assistant' : 'user', text: `message ${i} of ${c}`, id: i }));
    fs.writeFileSync(file, lines.join('\n'));
    const ac = new AbortController();
    let seen = 0;
    await expect(importChatHistory(t.emily, userId, file, { signal: ac.signal, onProgress: (p) => p.phase === 'import' && ++seen === 4 && ac.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
      message: expect.stringMatching(/the 3 conversations imported before it are kept, and importing the file again adds the rest/),
    });
    const counts = await t.emily.withUser(userId, async (c) => (await c.query(`SELECT c.source_id, count(t.id)::int AS n FROM conversations c JOIN turns t ON t.conversation_id = c.id WHERE c.source_id LIKE 'bulk-%' GROUP BY 1`)).rows);
    expect(counts.length).toBe(3);
    expect(counts.every((x) => x.n === 5)).toBe(true);
  });
});

describe("the app's learn hook", () => {
  it('distils the imported turns and queues their vectors; the job gives found turns a similarity', async () => {
    const u = await t.user('importer');
    const r = await importChatHistory(t.emily, u.id, path.join(fixtures, 'chatgpt-conversations.json'), { learn: learnImported(t.emily) });
    expect(r).toMatchObject({ turnsInserted: 6, learned: 6 });
    const jobs = await t.emily.withUser(u.id, async (c) => (await c.query("SELECT kind, status FROM jobs WHERE kind = 'reembed'")).rows);
    expect(jobs).toEqual([{ kind: 'reembed', status: 'queued' }]);
    const runner = new JobRunner({
      door: t.emily,
      handlers: cognitionHandlers({ embedderFor: async () => defaultEmbedder }),
      switch: new BackgroundSwitch(fs.mkdtempSync(path.join(dir, 'switch-'))),
    });
    const job = await runner.runOne(u.id);
    expect(job).toMatchObject({ kind: 'reembed', status: 'done' });
    expect(job!.detail).toMatchObject({ turns: 6 });
    const found = await recall(t.emily, u.id, 'sourdough starter', { k: 8 });
    const turns = found.results.filter((x) => x.tier === 'L4');
    expect(turns.length).toBeGreaterThan(0);
    expect(turns.every((x) => x.components.similarity > 0)).toBe(true);
  });
});
