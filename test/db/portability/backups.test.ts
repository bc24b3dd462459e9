import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emily } from '../../../electron/core/emily.js';
import { createUser, userFootprint } from '../../../electron/operations/users.js';
import { backupAll, backupsRoot, createBackup, deleteBackup, listBackups } from '../../../electron/portability/backups.js';
import { deleteProfile } from '../../../electron/portability/deleteProfile.js';
import { restoreBackup } from '../../../electron/portability/restoreBackup.js';
import { finishInterruptedRestores } from '../../../electron/databases/restoreSwap.js';
import { withAdminClient } from '../../../electron/databases/adminClient.js';
import { runDueBackups } from '../../../electron/portability/scheduler.js';
import { catalogSnapshot, databaseNames, fingerprint, roleNames, seedUser } from './helpers.js';

/** Backups live in the home's folder, so this file runs its own cluster in its own home. */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-backups-'));
let emily: Emily;

beforeAll(async () => {
  emily = await Emily.open({ home, spareDatabases: 0 }); // database listings below must not see spares come and go
});

afterAll(async () => {
  await emily?.close({ stopServer: true });
  fs.rmSync(home, { recursive: true, force: true });
});

describe('backups', () => {
  it('backs up privately, lists, and restores as a new profile, identical', async () => {
    const u = await createUser(emily, 'Ada');
    await seedUser(emily, u.id, { memories: 12, turns: 12 });
    const print = await fingerprint(emily, u.id);
    const b = await createBackup(emily, u.id);
    expect(fs.statSync(backupsRoot(emily)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(b.file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(b.file).mode & 0o777).toBe(0o600);
    expect(listBackups(emily).map((x) => x.id)).toEqual([b.id]);
    const r = await restoreBackup(emily, b.id, { as: 'Ada again' });
    expect(r.replaced).toBe(false);
    expect(r.user.displayName).toBe('Ada again');
    expect(await fingerprint(emily, r.user.id)).toEqual(print);
    expect(await fingerprint(emily, u.id)).toEqual(print);
  });

  it('restore --replace swaps the verified copy in under the same id, and drops the old one', async () => {
    const u = await createUser(emily, 'Grace');
    await seedUser(emily, u.id, { memories: 8, turns: 8 });
    const print = await fingerprint(emily, u.id);
    const b = await createBackup(emily, u.id);
    await emily.withUser(u.id, (c) => c.query(`INSERT INTO memories (content, kind, source) VALUES ('written after the backup', 'fact', 'user-stated')`));
    const dbs = await databaseNames(emily);
    const roles = await roleNames(emily);
    const r = await restoreBackup(emily, b.id, { replace: true });
    expect(r.replaced).toBe(true);
    expect(r.user.id).toBe(u.id);
    expect(r.user.status).toBe('ready');
    expect(await fingerprint(emily, u.id)).toEqual(print);
    expect(await databaseNames(emily)).toEqual(dbs);
    expect(await roleNames(emily)).toEqual(roles);
  });

  it('a restore --replace interrupted right after its swap is finished by finishInterruptedRestores', async () => {
    const u = await createUser(emily, 'Hopper');
    await seedUser(emily, u.id, { memories: 6, turns: 6 });
    const print = await fingerprint(emily, u.id);
    const b = await createBackup(emily, u.id);
    await emily.withUser(u.id, (c) => c.query(`INSERT INTO memories (content, kind, source) VALUES ('written after the backup', 'fact', 'user-stated')`));
    const dbs = await databaseNames(emily);
    const roles = await roleNames(emily);
    // The state a crash leaves after the swap committed: the verified copy under the
    // profile's name, the old database renamed aside, the copy's role and row still there.
    const { user: copy } = await restoreBackup(emily, b.id, { as: 'Hopper copy' });
    await emily.catalog.update(u.id, { status: 'moving' });
    await emily.users.forget(u.id);
    await emily.users.forget(copy.id);
    await withAdminClient(emily.cluster.admin(), 'postgres', async (c) => {
      await c.query('BEGIN');
      await c.query(`ALTER DATABASE ${u.dbName} RENAME TO emily_replaced_${u.id}_${copy.id}`);
      await c.query(`ALTER DATABASE ${copy.dbName} RENAME TO ${u.dbName}`);
      await c.query(`ALTER DATABASE ${u.dbName} OWNER TO ${u.roleName}`);
      await c.query('COMMIT');
    });
    expect(await finishInterruptedRestores(emily)).toEqual([u.id]);
    expect((await emily.catalog.get(u.id)).status).toBe('ready');
    await expect(emily.catalog.get(copy.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The backup's Emily, and the re-embedding job the interrupted process never queued.
    const { jobs: _jobs, ...restored } = await fingerprint(emily, u.id);
    const { jobs: _before, ...expected } = print;
    expect(restored).toEqual(expected);
    expect(await emily.withUser(u.id, async (c) => (await c.query("SELECT count(*)::int AS n FROM jobs WHERE kind = 'reembed' AND status = 'queued'")).rows[0].n)).toBe(1);
    expect(await databaseNames(emily)).toEqual(dbs);
    expect(await roleNames(emily)).toEqual(roles);
    expect(await finishInterruptedRestores(emily)).toEqual([]);
  });

  it('a damaged backup is refused and nothing changes', async () => {
    const u = await createUser(emily, 'Damaged');
    const b = await createBackup(emily, u.id);
    const bytes = fs.readFileSync(b.file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    fs.writeFileSync(b.file, bytes);
    const before = [await catalogSnapshot(emily), await databaseNames(emily)];
    await expect(restoreBackup(emily, b.id, { replace: true })).rejects.toMatchObject({ code: 'INVALID_DUMP' });
    expect([await catalogSnapshot(emily), await databaseNames(emily)]).toEqual(before);
    await expect(restoreBackup(emily, 'nonsense')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(restoreBackup(emily, `${u.id}/20200101T000000000Z-manual`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A garbled description: not listed, and asking for it says where its dump is and what to do.
    const other = await createBackup(emily, u.id, { now: new Date(Date.now() + 1000) });
    fs.writeFileSync(other.file.replace(/\.dump$/, '.json'), '{"userId": garbled');
    expect(listBackups(emily, { userId: u.id }).map((x) => x.id)).not.toContain(other.id);
    await expect(restoreBackup(emily, other.id)).rejects.toMatchObject({ code: 'INVALID_DUMP', message: expect.stringContaining(`emily import ${other.file}`) });
    // Valid JSON that is no description (empty, a bad date, another profile's id): the same, and the list still works.
    const meta = JSON.parse(fs.readFileSync(b.file.replace(/\.dump$/, '.json'), 'utf8')) as Record<string, unknown>;
    for (const damaged of [{}, { ...meta, createdAt: 'soon' }, { ...meta, userId: 'zzzzzzzzzzzz' }]) {
      fs.writeFileSync(other.file.replace(/\.dump$/, '.json'), JSON.stringify(damaged));
      const listed = listBackups(emily);
      expect(listed.map((x) => x.id)).not.toContain(other.id);
      expect(listed.every((x) => x.id.startsWith(`${x.userId}/`) && !Number.isNaN(x.createdAt.getTime()))).toBe(true);
      await expect(restoreBackup(emily, other.id)).rejects.toMatchObject({ code: 'INVALID_DUMP' });
    }
  });

  it('a description that cannot be written leaves no backup half-made and says so', async () => {
    const u = await createUser(emily, 'Unwritable');
    // Its temporary description's name is taken by a folder: the write fails as a full disk's would.
    const dir = path.join(backupsRoot(emily), u.id);
    fs.mkdirSync(path.join(dir, '20300102T030405678Z-manual.json.tmp'), { recursive: true });
    await expect(createBackup(emily, u.id, { now: new Date('2030-01-02T03:04:05.678Z') })).rejects.toMatchObject({ message: expect.stringMatching(/^no backup was made: its description could not be written/) });
    expect(fs.readdirSync(dir)).toEqual(['20300102T030405678Z-manual.json.tmp']); // the dump is gone
    expect(listBackups(emily, { userId: u.id })).toEqual([]);
  });

  it('delete with backups removes the profile and every backup in one action', async () => {
    const u = await createUser(emily, 'Leaving');
    await createBackup(emily, u.id);
    await createBackup(emily, u.id, { now: new Date(Date.now() + 1000) });
    expect(listBackups(emily, { userId: u.id })).toHaveLength(2);
    const r = await deleteProfile(emily, u.id, { withBackups: true });
    expect(r.backupsRemoved).toBe(2);
    expect(await userFootprint(emily, u)).toEqual({ database: false, role: false, catalogRow: false });
    expect(fs.existsSync(path.join(backupsRoot(emily), u.id))).toBe(false);
  });

  it("a deleted profile's backups stay, restorable, until they are deleted one by one, a damaged one too", async () => {
    const u = await createUser(emily, 'Kept');
    const a = await createBackup(emily, u.id);
    const b = await createBackup(emily, u.id, { now: new Date(Date.now() + 1000) });
    await deleteProfile(emily, u.id);
    expect(listBackups(emily, { userId: u.id }).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    fs.writeFileSync(b.file.replace(/\.dump$/, '.json'), '{"not": "a description"}');
    expect(listBackups(emily, { userId: u.id }).map((x) => x.id)).toEqual([a.id]);
    deleteBackup(emily, b.id);
    expect(fs.existsSync(b.file)).toBe(false);
    expect(() => deleteBackup(emily, b.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => deleteBackup(emily, `${u.id}/../../x`)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    deleteBackup(emily, a.id);
    expect(listBackups(emily, { userId: u.id })).toEqual([]);
    expect(fs.existsSync(path.join(backupsRoot(emily), u.id))).toBe(false);
  });
});

describe('scheduled backups', () => {
  it("makes a new profile's first scheduled backup a day after the profile was made", async () => {
    const u = await createUser(emily, 'Newcomer');
    const made = u.createdAt.getTime();
    const mine = (r: { backedUp: string[] }) => r.backedUp.filter((id) => listBackups(emily, { userId: u.id }).some((b) => b.id === id));
    expect(mine(await runDueBackups(emily, new Date(made + 3600_000)))).toEqual([]);
    expect(listBackups(emily, { userId: u.id })).toEqual([]);
    expect(mine(await runDueBackups(emily, new Date(made + 86400_000)))).toHaveLength(1);
    await deleteProfile(emily, u.id, { withBackups: true });
  });

  it('runs daily per profile and keeps 7 daily + 4 weekly scheduled backups; manual ones stay', async () => {
    for (const u of await emily.catalog.list()) await deleteProfile(emily, u.id, { withBackups: true });
    const u = await createUser(emily, 'Scheduled');
    const manual = await createBackup(emily, u.id, { now: new Date('2026-01-01T12:00:00Z') });
    // Fixed dates before the profile was made: to the schedule that is a clock set back, so
    // the first backup is due at once (the test above covers a profile's first day).
    const start = Date.UTC(2026, 0, 1, 3);
    const first = await runDueBackups(emily, new Date(start));
    expect(first.backedUp).toHaveLength(1);
    expect(first.failed).toEqual([]);
    expect((await runDueBackups(emily, new Date(start + 3600_000))).backedUp).toEqual([]); // not due an hour later
    for (let day = 1; day < 40; day++) {
      const r = await runDueBackups(emily, new Date(start + day * 86400_000));
      expect(r.backedUp).toHaveLength(1);
    }
    const scheduled = listBackups(emily, { userId: u.id }).filter((b) => b.kind === 'scheduled');
    const days = scheduled.map((b) => b.createdAt.toISOString().slice(0, 10));
    // Jan 1 + 39 days = Feb 9 (a Monday). Dailies Feb 3..9; weeklies: W07 (Feb 9), W06 (Feb 8), W05 (Feb 1), W04 (Jan 25).
    expect(days).toEqual(['2026-02-09', '2026-02-08', '2026-02-07', '2026-02-06', '2026-02-05', '2026-02-04', '2026-02-03', '2026-02-01', '2026-01-25']);
    expect(listBackups(emily, { userId: u.id }).some((b) => b.id === manual.id)).toBe(true);
    // Pruned files are gone from disk, not only from the list.
    expect(fs.readdirSync(path.join(backupsRoot(emily), u.id)).filter((f) => f.endsWith('.dump'))).toHaveLength(days.length + 1);
  });

  it('backing up every profile goes on past one that fails, and reports each on its own line', async () => {
    const good = await createUser(emily, 'All good');
    const bad = await createUser(emily, 'Refusing');
    await seedUser(emily, good.id, { memories: 3, turns: 3 });
    await emily.users.forget(bad.id);
    await withAdminClient(emily.cluster.admin(), 'postgres', (c) => c.query(`ALTER DATABASE ${bad.dbName} ALLOW_CONNECTIONS false`));
    try {
      const before = listBackups(emily).length;
      const results = await backupAll(emily);
      const byId = new Map(results.map((r) => [r.userId, r]));
      expect(byId.get(good.id)).toMatchObject({ ok: true, server: 'local', value: { userId: good.id } });
      expect(byId.get(bad.id)).toMatchObject({ ok: false, server: 'local', error: { message: expect.any(String) } });
      const made = results.filter((r) => r.ok).length;
      expect(made).toBe(results.length - 1);
      expect(listBackups(emily).length).toBe(before + made);
      expect(listBackups(emily).some((b) => b.userId === bad.id && b.id === byId.get(bad.id)!.value?.id)).toBe(false);
    } finally {
      await withAdminClient(emily.cluster.admin(), 'postgres', (c) => c.query(`ALTER DATABASE ${bad.dbName} ALLOW_CONNECTIONS true`));
    }
  });
});
