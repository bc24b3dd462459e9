import fs from 'node:fs';
import pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Emily } from '../../../electron/core/emily.js';
import { exportUser } from '../../../electron/portability/exportDump.js';
import { importDump, type ImportResult } from '../../../electron/portability/importDump.js';
import { listBackups } from '../../../electron/portability/backups.js';
import { restoreBackup } from '../../../electron/portability/restoreBackup.js';
import { deleteUser } from '../../../electron/operations/users.js';
import { finishInterruptedRestores } from '../../../electron/databases/restoreSwap.js';
import { repairMoveLeftovers } from '../../../electron/databases/moveRecovery.js';
import type { UserRecord } from '../../../electron/databases/catalog.js';
import { useTestEmily, withOpensHeld } from '../../support/testEmily.js';
import { assertNoDebris, fingerprint, seedUser } from './helpers.js';

/**
 * An Emily brought in from elsewhere in place of a live profile (server mode's way in, and
 * "replace this profile" on the desktop): same profile id, name, database name and role;
 * the dump's rows exactly; nothing of the old Emily; nothing left over.
 */
const t = useTestEmily();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-replace-'));
let elsewhere: UserRecord;
let dump: string;
let elsewherePrint: Record<string, string>;

beforeAll(async () => {
  elsewhere = await t.user('the Emily from elsewhere');
  await seedUser(t.emily, elsewhere.id, { memories: 40, turns: 60 });
  elsewherePrint = await fingerprint(t.emily, elsewhere.id);
  dump = path.join(dir, 'elsewhere.dump');
  await exportUser(t.emily, elsewhere.id, dump, { format: 'custom' });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const profilesNamed = async (name: string) => (await t.emily.catalog.list({ includeAll: true })).filter((u) => u.displayName === name).map((u) => [u.id, u.status]);

/** A write made during the replace is in the new Emily once, and the backup is exactly what was replaced. */
async function expectInNewEmilyOnly(live: UserRecord, content: string, backupId: string, old: Record<string, string>): Promise<void> {
  const landed = await t.emily.withUser(live.id, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM memories WHERE content = $1', [content])).rows[0]!.n);
  expect(landed).toBe(1);
  const back = await restoreBackup(t.emily, backupId, { as: `what was replaced (${content})` });
  try {
    expect(await fingerprint(t.emily, back.user.id)).toEqual(old);
  } finally {
    await deleteUser(t.emily, back.user.id);
  }
}

/** Replaces the profile with the dump while every statement sent goes through intercept (a server that misbehaves). */
async function replaceThrough(live: UserRecord, intercept: (sql: string, run: () => Promise<unknown>) => Promise<unknown>): Promise<ImportResult> {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    return intercept(typeof args[0] === 'string' ? args[0] : '', () => (query as (...a: unknown[]) => Promise<unknown>).apply(this, args));
  } as typeof query;
  try {
    return await importDump(t.emily, dump, { name: live.displayName, replace: live });
  } finally {
    pg.Client.prototype.query = query;
  }
}

describe('replacing a profile with a dump', () => {
  it("the profile keeps its id, name, database and role, and holds the dump's Emily, exactly", async () => {
    const live = await t.user('replace me');
    await seedUser(t.emily, live.id, { memories: 5, turns: 7 });
    const old = await fingerprint(t.emily, live.id);
    const r = await importDump(t.emily, dump, { name: live.displayName, replace: live });
    expect(r.user).toMatchObject({ id: live.id, displayName: live.displayName, dbName: live.dbName, roleName: live.roleName, status: 'ready' });
    expect(await fingerprint(t.emily, live.id)).toEqual(elsewherePrint);
    expect(await profilesNamed(live.displayName)).toEqual([[live.id, 'ready']]);
    await assertNoDebris(t.emily, 'a name no profile has');
    // Her own role owns what came in: she writes as before.
    await t.emily.withUserTransaction(live.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('after the replace', 'fact', 'user-stated')");
      const owners = await c.query<{ o: string }>("SELECT DISTINCT tableowner AS o FROM pg_tables WHERE schemaname = 'public'");
      expect(owners.rows.map((x) => x.o)).toEqual([live.roleName]);
    });
    // The dump's source is untouched.
    expect(await fingerprint(t.emily, elsewhere.id)).toEqual(elsewherePrint);
    // What the profile held is kept as a backup, taken just before the swap: it gives her back exactly.
    expect(r.previous).toMatchObject({ userId: live.id, kind: 'manual' });
    expect(listBackups(t.emily, { userId: live.id }).map((b) => b.id)).toEqual([r.previous!.id]);
    const back = await restoreBackup(t.emily, r.previous!.id, { as: 'the replaced one, back' });
    try {
      expect(await fingerprint(t.emily, back.user.id)).toEqual(old);
    } finally {
      await deleteUser(t.emily, back.user.id);
    }
  });

  it('a refused dump changes nothing: the profile keeps its Emily, and no copy is left behind', async () => {
    const live = await t.user('keep me');
    await seedUser(t.emily, live.id, { memories: 6, turns: 9 });
    const before = await fingerprint(t.emily, live.id);
    const text = path.join(dir, 'evil.sql');
    await exportUser(t.emily, elsewhere.id, text, { format: 'plain' });
    fs.writeFileSync(text, fs.readFileSync(text, 'utf8').replace('\\unrestrict', 'CREATE FUNCTION public.late() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n\\unrestrict'));
    await expect(importDump(t.emily, text, { name: live.displayName, replace: live })).rejects.toMatchObject({ code: 'UNSAFE_DUMP' });
    expect(await fingerprint(t.emily, live.id)).toEqual(before);
    expect(listBackups(t.emily, { userId: live.id })).toEqual([]); // refused before anything was kept or swapped
    expect(await profilesNamed(live.displayName)).toEqual([[live.id, 'ready']]);
    await assertNoDebris(t.emily, 'a name no profile has');
  });

  it('a profile that is not ready is not replaced', async () => {
    const live = await t.user('busy one');
    await t.emily.catalog.update(live.id, { status: 'moving' });
    try {
      await expect(importDump(t.emily, dump, { name: live.displayName, replace: { ...live, status: 'moving' } })).rejects.toMatchObject({ code: 'BUSY' });
    } finally {
      await t.emily.catalog.update(live.id, { status: 'ready' });
    }
    expect(await profilesNamed(live.displayName)).toEqual([[live.id, 'ready']]);
  });

  it('a profile that became busy while its copy was made is not replaced, and the copy is dropped', async () => {
    const live = await t.user('deleted meanwhile');
    await seedUser(t.emily, live.id, { memories: 3, turns: 4 });
    const before = await fingerprint(t.emily, live.id);
    // live is what the caller read before the import; the catalog has moved on since.
    await expect(
      importDump(t.emily, dump, {
        name: live.displayName,
        replace: live,
        onProgress: (p) => {
          if (p.phase === 'verify' && p.done === 0) void t.emily.catalog.update(live.id, { status: 'deleting' });
        },
      }),
    ).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining('became deleting meanwhile') });
    expect((await t.emily.catalog.get(live.id)).status).toBe('deleting');
    await t.emily.catalog.update(live.id, { status: 'ready' });
    expect(await fingerprint(t.emily, live.id)).toEqual(before);
    expect(listBackups(t.emily, { userId: live.id })).toEqual([]);
    await assertNoDebris(t.emily, 'a name no profile has');
  });

  it("a write made while the profile is frozen for the replace waits, then lands in the new Emily; the backup is exactly what was replaced", async () => {
    const live = await t.user('written to meanwhile');
    await seedUser(t.emily, live.id, { memories: 4, turns: 5 });
    const old = await fingerprint(t.emily, live.id);
    let pending: Promise<unknown> | undefined;
    let settled = false;
    const r = await importDump(t.emily, dump, {
      name: live.displayName,
      replace: live,
      onProgress: (p) => {
        // The profile is frozen and its backup about to be taken: a chat turn arrives now.
        if (p.message.startsWith('keeping a backup') && !pending) {
          pending = t.emily
            .withUserTransaction(live.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('said during the replace', 'fact', 'user-stated')"))
            .finally(() => (settled = true));
        }
      },
    });
    expect(pending).toBeDefined();
    await pending;
    expect(settled).toBe(true);
    await expectInNewEmilyOnly(live, 'said during the replace', r.previous!.id, old);
  });

  it('another process that writes while the profile is frozen, through a connection it already had, waits too: its write lands in the new Emily, not in the old one nor the backup', async () => {
    const live = await t.user('written to from elsewhere');
    await seedUser(t.emily, live.id, { memories: 4, turns: 5 });
    const old = await fingerprint(t.emily, live.id);
    // A second core on the same server (the desktop app beside "emily import --replace"),
    // with a warm connection to the profile and its target cached.
    const other = await Emily.open({ home: inject('emilyHome') });
    try {
      await other.withUser(live.id, (c) => c.query('SELECT 1'));
      let pending: Promise<unknown> | undefined;
      const r = await importDump(t.emily, dump, {
        name: live.displayName,
        replace: live,
        onProgress: (p) => {
          if (p.message.startsWith('keeping a backup') && !pending) {
            pending = other.withUser(live.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('said elsewhere during the replace', 'fact', 'user-stated')"));
          }
        },
      });
      expect(pending).toBeDefined();
      await pending;
      await expectInNewEmilyOnly(live, 'said elsewhere during the replace', r.previous!.id, old);
      // The role logs in again, from either process.
      expect((await other.withUser(live.id, (c) => c.query('SELECT 1'))).rowCount).toBe(1);
    } finally {
      await other.close({ stopServer: false });
    }
  }, 60_000);

  it('a clean-up that fails after the swap committed is not reported as a failed import: the profile holds the dump, and the next open finishes it', async () => {
    const live = await t.user('clean-up fails');
    await seedUser(t.emily, live.id, { memories: 3, turns: 4 });
    // Opening Emily finishes an interrupted replace, the point of this test.
    await withOpensHeld(t.emily, async () => {
      // The server refuses the ownership hand-over, every time it is tried.
      const r = await replaceThrough(live, (sql, run) => (sql.startsWith('REASSIGN OWNED') ? Promise.reject(new Error('the server went away (simulated)')) : run()));
      expect(r.unfinished).toMatch(/the new copy is in place, but clearing the old one failed \(.*simulated.*\); opening Emily again or "emily doctor --repair" finishes it/);
      expect(r.previous).toBeDefined();
      // Not usable until then, and said so; never the old Emily again.
      expect((await t.emily.catalog.get(live.id)).status).toBe('moving');
      await expect(t.emily.withUser(live.id, (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining('was interrupted') });
      // The move repair does not mistake it for a frozen move (it would hand the profile over
      // with its tables still owned by the copy's role): it says so and leaves it.
      const moves = (await repairMoveLeftovers(t.emily, { repair: true })).filter((m) => m.userId === live.id);
      expect(moves).toEqual([expect.objectContaining({ repaired: false, error: expect.stringContaining('did not finish') })]);
      expect((await t.emily.catalog.get(live.id)).status).toBe('moving');
      expect(await finishInterruptedRestores(t.emily)).toEqual([live.id]);
    });
    // The dump's Emily, and a job that builds the vectors of the model in use (no process queued it).
    const { jobs, ...rest } = await fingerprint(t.emily, live.id);
    expect({ ...rest, jobs: elsewherePrint.jobs }).toEqual(elsewherePrint);
    const queued = await t.emily.withUser(live.id, async (c) => (await c.query("SELECT kind, payload FROM jobs WHERE status = 'queued'")).rows);
    expect(queued).toEqual([{ kind: 'reembed', payload: { current: true, reason: 'restore' } }]);
    expect(jobs).not.toEqual(elsewherePrint.jobs);
    await t.emily.withUser(live.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('mine now', 'fact', 'user-stated')"));
    await assertNoDebris(t.emily, 'a name no profile has');
  });

  it('a swap whose commit went through but whose answer was lost is finished, not reported as unchanged', async () => {
    const live = await t.user('answer lost');
    await seedUser(t.emily, live.id, { memories: 3, turns: 4 });
    // The server commits the renames, then the connection drops before its answer arrives.
    let renamed = false;
    const r = await replaceThrough(live, (sql, run) => {
      if (sql.startsWith('ALTER DATABASE') && sql.includes(' OWNER TO ')) renamed = true;
      const result = run();
      if (sql !== 'COMMIT' || !renamed) return result;
      renamed = false;
      return result.then(() => Promise.reject(new Error('Connection terminated unexpectedly (simulated)')));
    });
    expect(r.unfinished).toBeUndefined();
    expect(await t.emily.catalog.get(live.id)).toMatchObject({ status: 'ready', dbName: live.dbName, roleName: live.roleName });
    expect(await fingerprint(t.emily, live.id)).toEqual(elsewherePrint);
    await t.emily.withUser(live.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('mine after all', 'fact', 'user-stated')"));
    await assertNoDebris(t.emily, 'a name no profile has');
  });

  it('a caller of this process that keeps a connection does not stall the replace: it gets a few seconds, then loses the connection', async () => {
    const live = await t.user('held open');
    await seedUser(t.emily, live.id, { memories: 2, turns: 3 });
    let imported!: () => void;
    const importDone = new Promise<void>((r) => (imported = r));
    const holder = t.emily.withUser(live.id, async (c) => {
      await c.query('SELECT 1');
      await importDone; // a long piece of work between two statements
      return c.query('SELECT 2');
    });
    const r = await importDump(t.emily, dump, { name: live.displayName, replace: live });
    imported();
    expect(r.user.status).toBe('ready');
    await expect(holder).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
    expect(await fingerprint(t.emily, live.id)).toEqual(elsewherePrint);
  }, 60_000);
});
