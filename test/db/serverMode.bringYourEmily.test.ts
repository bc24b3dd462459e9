import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../electron/api/adapters/chatService.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { portabilityService } from '../../electron/api/adapters/portabilityService.js';
import { finishInterruptedRestores } from '../../electron/databases/restoreSwap.js';
import { deleteUser } from '../../electron/operations/users.js';
import { exportUser } from '../../electron/portability/exportDump.js';
import { fingerprint, seedUser } from './portability/helpers.js';
import { useServerMode, type ServerClient } from '../support/serverMode.js';
import { withOpensHeld } from '../support/testEmily.js';

/**
 * "Move your Emily in and out of a hosted Emily as a pg_dump file": an account brings the
 * Emily it exported elsewhere (here: a desktop profile on the same cluster) into its own
 * profile, over HTTP, through an upload. Other accounts never notice.
 */
const s = useServerMode({ services: (emily) => ({ memory: memoryService(emily), chat: chatService(emily), portability: portabilityService(emily) }) });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-bring-'));
let desktopId: string;
let desktopPrint: Record<string, string>;
let dump: string;
let a: ServerClient;
let b: ServerClient;
/** What account A held before it brought the desktop Emily in, and the backup kept of it. */
let beforeReplace: Record<string, string>;
let keptBackup = '';
/** Runs fn while the server refuses the ownership hand-over of a swapped-in copy, every time it is tried. */
async function withCleanUpRefused<T>(fn: () => Promise<T>): Promise<T> {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (typeof args[0] === 'string' && args[0].startsWith('REASSIGN OWNED')) return Promise.reject(new Error('the server went away (simulated)'));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return await fn();
  } finally {
    pg.Client.prototype.query = query;
  }
}

const withoutModelRows = ({ embedding_models: _m, jobs: _j, ...rest }: Record<string, string>) => rest;

beforeAll(async () => {
  const desktop = await s.t.user('the desktop Emily');
  desktopId = desktop.id;
  await seedUser(s.t.emily, desktopId, { memories: 30, turns: 40 });
  desktopPrint = await fingerprint(s.t.emily, desktopId);
  dump = path.join(dir, 'mine.dump');
  await exportUser(s.t.emily, desktopId, dump, { format: 'custom' });
  a = await s.signup('bring-anna');
  b = await s.signup('bring-bruno');
  for (const c of [a, b]) expect((await c.call('chat.send', { operationId: `hello-${c.username}`, conversationId: null, text: 'My cat is called Pixel.' })).ok).toBe(true);
});

afterAll(async () => {
  await deleteUser(s.t.emily, desktopId).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function upload(c: ServerClient, file: string): Promise<string> {
  const r = await c.request({ method: 'PUT', path: '/files?name=mine.dump', headers: { 'content-type': 'application/octet-stream' }, body: fs.readFileSync(file) });
  expect(r.status).toBe(200);
  return (r.json() as { value: { file: string } }).value.file;
}

describe('server mode: bringing your Emily in as a pg_dump file', () => {
  it('needs the profile name typed, and changes nothing without it', async () => {
    const before = await fingerprint(s.t.emily, a.profileId);
    const file = await upload(a, dump);
    const r = await a.call('portability.replace', { operationId: 'bring-wrong-1', file, confirmName: 'not my name' });
    expect(r.error?.code).toBe('BAD_INPUT');
    expect(await fingerprint(s.t.emily, a.profileId)).toEqual(before);
  });

  it("replaces the account's own Emily with the uploaded one: same account and profile, the dump's memories exactly; another account is untouched", async () => {
    const bBefore = await fingerprint(s.t.emily, b.profileId);
    beforeReplace = await fingerprint(s.t.emily, a.profileId);
    const file = await upload(a, dump);
    const r = await a.call<{ profile: { id: string; name: string }; counts: Record<string, number>; previousBackup: { id: string } }>('portability.replace', { operationId: 'bring-right-1', file, confirmName: 'bring-anna' });
    expect(r.error).toBeUndefined();
    // What the account held is kept as its backup (the operator can restore it).
    const backups = await a.call<{ id: string }[]>('portability.backups', {});
    expect(backups.value!.map((x) => x.id)).toEqual([r.value!.previousBackup.id]);
    keptBackup = r.value!.previousBackup.id;
    expect(r.value!.profile).toMatchObject({ id: a.profileId, name: 'bring-anna' });
    expect(r.value!.counts.memories).toBe(30);
    // Everything the dump held, exactly; besides it, this server's own embedding model and the
    // background job that embeds her memories for it (as every import queues).
    expect(withoutModelRows(await fingerprint(s.t.emily, a.profileId))).toEqual(withoutModelRows(desktopPrint));
    expect(await fingerprint(s.t.emily, b.profileId)).toEqual(bBefore);
    // The same session goes on, now talking to the Emily it brought in.
    const found = await a.call<{ content: string }[]>('memory.recall', { query: 'seed memory', k: 5 });
    expect(found.ok).toBe(true);
    const listed = await a.call<{ profiles: { id: string }[] }>('profiles.list', {});
    expect(listed.value!.profiles.map((p) => p.id)).toEqual([a.profileId]);
    const sent = await a.call('chat.send', { operationId: 'after-bring-1', conversationId: null, text: 'I am back, with everything.' });
    expect(sent.ok).toBe(true);
  });

  it('a dump that is not an Emily is refused and the Emily stays as she was', async () => {
    const before = await fingerprint(s.t.emily, a.profileId);
    const { ws, events } = await a.socket();
    const junk = path.join(dir, 'junk.dump');
    fs.writeFileSync(junk, 'PGDMP this is not really an archive');
    const file = await upload(a, junk);
    const r = await a.call('portability.replace', { operationId: 'bring-junk-1', file, confirmName: 'bring-anna' });
    expect(r.error?.code).toBe('INVALID_DUMP');
    expect(await fingerprint(s.t.emily, a.profileId)).toEqual(before);
    // The server's own paths (its scratch copy of the upload, its data folder) stay on the server.
    const empty = path.join(dir, 'empty.dump');
    fs.writeFileSync(empty, '');
    const e = await a.call('portability.replace', { operationId: 'bring-empty-1', file: await upload(a, empty), confirmName: 'bring-anna' });
    expect(e.error?.code).toBe('INVALID_DUMP');
    expect(e.error!.message).toMatch(/is empty/);
    // The operation's failure also reaches the account's event socket: cleaned the same way.
    await expect.poll(() => events.filter((x) => x.name === 'operation.failed').length).toBeGreaterThanOrEqual(2);
    const failed = events.filter((x) => x.name === 'operation.failed').map((x) => (x.payload as { error: { message: string } }).error.message);
    ws.close();
    for (const m of [r.error!.message, e.error!.message, ...failed]) {
      expect(m).not.toContain(os.tmpdir());
      expect(m).not.toMatch(/(^|[\s("'`=:])\/[^/\s]+\//);
    }
  });

  it('puts its own Emily back from the backup kept before the replace; other backups, a new profile or a missing name are refused', async () => {
    const bBackup = await b.call<{ id: string }>('portability.backupNow', { operationId: 'bring-b-backup' });
    const bBefore = await fingerprint(s.t.emily, b.profileId);
    const now = await fingerprint(s.t.emily, a.profileId);
    // Another account's backup is not among this profile's: not found, whatever it is.
    expect((await a.call('portability.restore', { operationId: 'bring-other-1', backupId: bBackup.value!.id, inPlace: true, confirmName: 'bring-anna' })).error?.code).toBe('NOT_FOUND');
    expect((await a.call('portability.restore', { operationId: 'bring-new-1', backupId: keptBackup })).error?.code).toBe('FORBIDDEN');
    expect((await a.call('portability.restore', { operationId: 'bring-name-1', backupId: keptBackup, inPlace: true, confirmName: 'bring' })).error?.code).toBe('BAD_INPUT');
    expect(await fingerprint(s.t.emily, a.profileId)).toEqual(now);
    const r = await a.call<{ id: string }>('portability.restore', { operationId: 'bring-back-1', backupId: keptBackup, inPlace: true, confirmName: 'bring-anna' });
    expect(r.error).toBeUndefined();
    expect(r.value!.id).toBe(a.profileId);
    expect(withoutModelRows(await fingerprint(s.t.emily, a.profileId))).toEqual(withoutModelRows(beforeReplace));
    expect(await fingerprint(s.t.emily, b.profileId)).toEqual(bBefore);
    // The Emily brought in is itself kept as a backup now: nothing was lost either way.
    expect((await a.call<unknown[]>('portability.backups', {})).value).toHaveLength(2);
  });

  it('a replace whose clean-up fails after the new Emily went in says so in its answer, and the next start finishes it', async () => {
    const file = await upload(b, dump);
    await withOpensHeld(s.t.emily, async () => {
      const r = await withCleanUpRefused(() => b.call<{ profile: { id: string }; unfinished?: string }>('portability.replace', { operationId: 'bring-unfinished-1', file, confirmName: 'bring-bruno' }));
      expect(r.error).toBeUndefined();
      expect(r.value!.unfinished).toMatch(/the new copy is in place, but clearing the old one failed .*"emily doctor --repair" finishes it/);
      expect((await b.call('memory.recall', { query: 'seed memory', k: 5 })).error?.code).toBe('BUSY');
      expect(await finishInterruptedRestores(s.t.emily)).toEqual([b.profileId]);
    });
    expect(withoutModelRows(await fingerprint(s.t.emily, b.profileId))).toEqual(withoutModelRows(desktopPrint));
    expect((await b.call('memory.recall', { query: 'seed memory', k: 5 })).ok).toBe(true);
  });

  it('so does a restore in place whose clean-up fails, instead of failing after its backup went in', async () => {
    const kept = (await b.call<{ id: string }[]>('portability.backups', {})).value!;
    expect(kept.length).toBeGreaterThan(0);
    await withOpensHeld(s.t.emily, async () => {
      const r = await withCleanUpRefused(() => b.call<{ id: string; unfinished?: string }>('portability.restore', { operationId: 'bring-unfinished-2', backupId: kept[0]!.id, inPlace: true, confirmName: 'bring-bruno' }));
      expect(r.error).toBeUndefined();
      expect(r.value).toMatchObject({ id: b.profileId, unfinished: expect.stringMatching(/the new copy is in place, but clearing the old one failed/) });
      expect(await finishInterruptedRestores(s.t.emily)).toEqual([b.profileId]);
    });
    expect((await b.call('memory.recall', { query: 'seed memory', k: 5 })).ok).toBe(true);
  });
});
