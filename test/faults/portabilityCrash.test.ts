import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emily } from '../../electron/core/emily.js';
import { CATALOG_DATABASE } from '../../electron/core/ids.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import type { UserRecord } from '../../electron/databases/catalog.js';
import { createUser, listUsers, userFootprint } from '../../electron/operations/users.js';
import { assertIntact, createBackup, findBackup, listBackups } from '../../electron/portability/backups.js';
import { exportUser } from '../../electron/portability/exportDump.js';
import { importChatHistory } from '../../electron/portability/chat/importChat.js';
import { importDump } from '../../electron/portability/importDump.js';
import { restoreBackup } from '../../electron/portability/restoreBackup.js';
import { fingerprint, seedUser } from '../db/portability/helpers.js';
import { disposeHome, newHome, startWorker } from './support/processes.js';

const run = promisify(execFile);

let home: string;
let emily: Emily;
let source: UserRecord;
let dump: string;
let plainDump: string;
let sourcePrint: Record<string, string>;

beforeAll(async () => {
  home = newHome('portcrash');
  emily = await Emily.open({ home, spareDatabases: 0 });
  source = await createUser(emily, 'source');
  await seedUser(emily, source.id, { memories: 120, turns: 200 });
  sourcePrint = await fingerprint(emily, source.id);
  dump = path.join(home, 'source.dump');
  await exportUser(emily, source.id, dump, { format: 'custom' });
  plainDump = path.join(home, 'source.sql');
  await exportUser(emily, source.id, plainDump, { format: 'plain' });
});

afterAll(async () => {
  await emily?.close({ stopServer: true });
  if (home) await disposeHome(home);
});

function workDirsOf(pid: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`emily-import-${pid}-`));
}

describe('SIGKILL in the middle of an import', () => {
  it('never lists a half-imported profile; doctor --repair removes the debris; importing again works', async () => {
    const staging: { phase: string; user: UserRecord; pid: number }[] = [];
    // Either format is restored in one transaction on Emily's own connection (runCheckedScript).
    for (const [phase, file] of [['restore', dump], ['restore', 'plain'], ['verify', dump], ['index', dump]] as const) {
      const known = new Set((await emily.catalog.list({ includeAll: true })).map((u) => u.id));
      const w = startWorker(['import', home, file === 'plain' ? plainDump : file], { FAULT_PAUSE_PHASE: phase });
      expect((await w.waitFor(/^READY port=\d+ owns=(\w+)/))[1]).toBe('false');
      await w.waitFor(new RegExp(`^PAUSED import ${phase}$`));
      expect(workDirsOf(w.child.pid!)).toHaveLength(1); // its private copy of the dump
      if (phase === 'restore') {
        // The import's transaction has written into the new database, uncommitted, at the moment of the kill.
        const open = await withAdminClient(emily.cluster.admin(), 'postgres', (c) =>
          c.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'emily-import' AND state = 'idle in transaction' AND backend_xid IS NOT NULL"),
        );
        expect(open.rowCount).toBe(1);
      }
      await w.kill();
      const fresh = (await emily.catalog.list({ includeAll: true })).filter((u) => !known.has(u.id));
      expect(fresh).toHaveLength(1);
      staging.push({ phase, user: fresh[0]!, pid: w.child.pid! });
    }
    const listed = (await listUsers(emily)).map((u) => u.id);
    for (const s of staging.filter((x) => x.phase !== 'index')) {
      // Killed before it was verified: in the catalog only as unfinished, invisible, unusable.
      expect(s.user.status).toBe('provisioning');
      expect(listed).not.toContain(s.user.id);
      await expect(emily.withUser(s.user.id, (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    // Killed after it was verified (only the vector indexes were still to come): complete and usable.
    const whole = staging.find((x) => x.phase === 'index')!.user;
    expect(whole.status).toBe('ready');
    expect(listed).toContain(whole.id);
    expect(await fingerprint(emily, whole.id)).toEqual(sourcePrint);

    // doctor --repair removes unfinished profiles once they are older than any running import
    // could be (2 minutes); stand in for the wait by ageing their catalog rows.
    const debris = staging.filter((x) => x.phase !== 'index').map((x) => x.user);
    await withAdminClient(emily.cluster.admin(), CATALOG_DATABASE, (c) => c.query("UPDATE users SET status_changed_at = now() - interval '1 hour' WHERE id = ANY($1)", [debris.map((u) => u.id)]));
    const doctor = await run(process.execPath, ['bin/emily.mjs', 'doctor', '--repair', '--json'], { env: { ...process.env, EMILY_HOME: home }, timeout: 120_000 }).catch((e: { stdout: string }) => e);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; debris: { id: string; repaired: boolean }[]; orphanDatabases: string[] };
    const cleaned = report.debris.filter((d) => d.repaired).map((d) => d.id);
    expect(cleaned.sort()).toEqual(debris.map((u) => u.id).sort());
    expect(report.orphanDatabases).toEqual([]);
    expect(report.ok).toBe(true);
    for (const u of debris) expect(await userFootprint(emily, u)).toEqual({ database: false, role: false, catalogRow: false });

    // Importing again works, and clears the private dump copies the killed imports left behind.
    const again = await importDump(emily, dump, { name: 'second try' });
    expect(again.user.status).toBe('ready');
    expect(await fingerprint(emily, again.user.id)).toEqual(sourcePrint);
    for (const s of staging) expect(workDirsOf(s.pid)).toEqual([]);
  }, 120_000);
});

describe('SIGKILL in the middle of replacing a profile with a dump', () => {
  const asides = async () =>
    withAdminClient(emily.cluster.admin(), 'postgres', async (c) => (await c.query("SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_replaced\\_%'")).rowCount);
  /** What Emily does when she starts again, in a process of her own beside the test's. */
  const restart = async () => {
    const again = await Emily.open({ home, spareDatabases: 0 });
    await again.close();
  };

  it('killed before the swap: after a restart the profile holds its own Emily, writable, with the backup taken for the replace', async () => {
    const live = await createUser(emily, 'replace interrupted early');
    await seedUser(emily, live.id, { memories: 5, turns: 7 });
    const own = await fingerprint(emily, live.id);
    const known = new Set((await emily.catalog.list({ includeAll: true })).map((u) => u.id));
    const w = startWorker(['replace', home, live.id, dump], { FAULT_PAUSE_AT: 'renaming' });
    await w.waitFor(/^PAUSED replace renaming$/);
    await w.kill();
    expect((await emily.catalog.get(live.id)).status).toBe('moving');
    await restart();
    expect(await emily.catalog.get(live.id)).toMatchObject({ status: 'ready', dbName: live.dbName, roleName: live.roleName });
    expect(await fingerprint(emily, live.id)).toEqual(own);
    await emily.withUser(live.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('still mine', 'fact', 'user-stated')"));
    expect(listBackups(emily, { userId: live.id })).toHaveLength(1);
    expect(await asides()).toBe(0);
    // The verified copy that never went in is unfinished, unlisted: doctor's debris.
    const copies = (await emily.catalog.list({ includeAll: true })).filter((u) => !known.has(u.id));
    expect(copies.map((u) => u.status)).toEqual(['provisioning']);
    expect((await listUsers(emily)).map((u) => u.id)).not.toContain(copies[0]!.id);
    // Replacing again goes through.
    const r = await importDump(emily, dump, { name: live.displayName, replace: await emily.catalog.get(live.id) });
    expect(r.user.id).toBe(live.id);
    expect(await fingerprint(emily, live.id)).toEqual(sourcePrint);
  }, 120_000);

  it('killed after the swap committed: after a restart the profile holds the dump, owned by its own role, and nothing is left over', async () => {
    const live = await createUser(emily, 'replace interrupted late');
    await seedUser(emily, live.id, { memories: 5, turns: 7 });
    const known = new Set((await emily.catalog.list({ includeAll: true })).map((u) => u.id));
    const w = startWorker(['replace', home, live.id, dump], { FAULT_PAUSE_AT: 'swapped' });
    await w.waitFor(/^PAUSED replace swapped$/);
    await w.kill();
    expect(await asides()).toBe(1);
    const copy = (await emily.catalog.list({ includeAll: true })).find((u) => !known.has(u.id))!;
    await restart();
    expect(await emily.catalog.get(live.id)).toMatchObject({ status: 'ready', dbName: live.dbName, roleName: live.roleName });
    // The dump's Emily, plus the re-embedding job the killed process never got to queue.
    const { jobs: _jobs, ...held } = await fingerprint(emily, live.id);
    const { jobs: _dumped, ...dumped } = sourcePrint;
    expect(held).toEqual(dumped);
    await emily.withUserTransaction(live.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('after the replace', 'fact', 'user-stated')");
      const owners = await c.query<{ o: string }>("SELECT DISTINCT tableowner AS o FROM pg_tables WHERE schemaname = 'public'");
      expect(owners.rows.map((x) => x.o)).toEqual([live.roleName]);
    });
    expect(await asides()).toBe(0);
    expect(await userFootprint(emily, copy)).toEqual({ database: false, role: false, catalogRow: false });
    expect(listBackups(emily, { userId: live.id })).toHaveLength(1);
  }, 120_000);
});

describe('SIGKILL in the middle of a backup', () => {
  it('lists and restores no partial backup, keeps the older ones intact, and the next backup works', async () => {
    const older = await createBackup(emily, source.id);
    const dir = path.dirname(older.file);
    const leftovers: string[] = [];
    for (const at of ['dumping', 'written']) {
      const before = new Set(fs.readdirSync(dir));
      const w = startWorker(['backup', home, source.id], { FAULT_PAUSE_AT: at });
      await w.waitFor(new RegExp(`^PAUSED backup ${at}$`));
      await w.kill();
      const left = fs.readdirSync(dir).filter((f) => !before.has(f));
      // What the killed backup left: pg_dump's hidden partial file, or a dump without its description.
      expect(left).toHaveLength(1);
      expect(left[0]).toMatch(at === 'dumping' ? /^\..+\.partial$/ : /^\d{8}T\d{9}Z-manual\.dump$/);
      leftovers.push(path.join(dir, left[0]!));
    }
    expect(listBackups(emily, { userId: source.id }).map((b) => b.id)).toEqual([older.id]);
    const unfinished = `${source.id}/${path.basename(leftovers[1]!, '.dump')}`;
    expect(() => findBackup(emily, unfinished)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await expect(restoreBackup(emily, unfinished)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // The older backup is intact and restores to exactly what was backed up.
    await assertIntact(older);
    const restored = await restoreBackup(emily, older.id, { as: 'from the older backup' });
    expect(await fingerprint(emily, restored.user.id)).toEqual(sourcePrint);

    // The next backup works; the leftovers stay while they could still be a running backup's...
    const next = await createBackup(emily, source.id);
    expect(listBackups(emily, { userId: source.id }).map((b) => b.id)).toEqual([next.id, older.id]);
    await assertIntact(next);
    for (const f of leftovers) expect(fs.existsSync(f)).toBe(true);
    // ...and are removed by a later backup once they are clearly abandoned (aged here instead of waiting an hour).
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const f of leftovers) fs.utimesSync(f, old, old);
    const third = await createBackup(emily, source.id);
    for (const f of leftovers) expect(fs.existsSync(f)).toBe(false);
    expect(listBackups(emily, { userId: source.id }).map((b) => b.id)).toEqual([third.id, next.id, older.id]);
  }, 120_000);
});

describe('SIGKILL in the middle of a chat-history import', () => {
  it('keeps every conversation committed before, shows nothing of the one cut off, and importing again completes it without duplicates', async () => {
    const user = await createUser(emily, 'chat history');
    const file = path.join(home, 'history.jsonl');
    const perConversation = 400;
    const lines: string[] = [];
    for (let c = 1; c <= 6; c++) {
      for (let i = 1; i <= perConversation; i++) lines.push(JSON.stringify({ conversation: `c${c}`, title: `Chat ${c}`, speaker: i % 2 ? 'user' : 'assistant', text: `conversation ${c}, message ${i}: about the garden and the bees`, id: `m${i}` }));
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const w = startWorker(['chat-import', home, user.id, file], { FAULT_PAUSE_CONVERSATION: '4' });
    await w.waitFor(/^PAUSED chat-import 4$/);
    // The fourth conversation's turns are written in a transaction that never commits.
    const inFlight = await withAdminClient(emily.cluster.admin(), user.dbName, async (c) =>
      Number((await c.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")).rows[0].n),
    );
    expect(inFlight).toBe(1);
    await w.kill();
    const perConv = async () =>
      emily.withUser(user.id, async (c) =>
        (await c.query<{ source_id: string; n: number }>("SELECT c.source_id, count(t.id)::int AS n FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id WHERE c.source = 'transcript' GROUP BY 1 ORDER BY 1")).rows,
      );
    // Whole conversations or nothing: the three committed, not a turn of the fourth.
    expect(await perConv()).toEqual([1, 2, 3].map((c) => ({ source_id: `c${c}`, n: perConversation })));
    const again = await importChatHistory(emily, user.id, file);
    expect(again).toMatchObject({ conversations: 6, turnsAlreadyThere: 3 * perConversation, turnsInserted: 3 * perConversation });
    expect(await perConv()).toEqual([1, 2, 3, 4, 5, 6].map((c) => ({ source_id: `c${c}`, n: perConversation })));
  });
});

