import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { loadMigrations, migrateDatabase, type Migration } from '../../electron/databases/migrations.js';
import { migrateAll } from '../../electron/operations/migrateAll.js';
import { useTestEmily } from '../support/testEmily.js';

const t = useTestEmily();

function migration(id: number, name: string, sql: string): Migration {
  return { id, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}

async function scratchDatabase<T>(fn: (db: string) => Promise<T>): Promise<T> {
  const db = `emily_scratch_${Math.random().toString(36).slice(2, 10)}`;
  const admin = t.emily.cluster.admin();
  await withAdminClient(admin, 'postgres', (c) => c.query(`CREATE DATABASE ${db}`));
  try {
    return await fn(db);
  } finally {
    await withAdminClient(admin, 'postgres', (c) => c.query(`DROP DATABASE ${db} WITH (FORCE)`));
  }
}

describe('migrations', () => {
  it('migrates N-1 to N keeping existing rows, and re-running is a no-op', async () => {
    const m1 = migration(1, 'notes', 'CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)');
    const m2 = migration(2, 'note_tags', "ALTER TABLE notes ADD COLUMN tag text NOT NULL DEFAULT 'none'");
    await scratchDatabase((db) =>
      withAdminClient(t.emily.cluster.admin(), db, async (c) => {
        expect(await migrateDatabase(c, [m1])).toEqual({ from: 0, to: 1, applied: [1] });
        await c.query("INSERT INTO notes (id, body) VALUES (1, 'kept')");
        expect(await migrateDatabase(c, [m1, m2])).toEqual({ from: 1, to: 2, applied: [2] });
        expect((await c.query('SELECT id, body, tag FROM notes')).rows).toEqual([{ id: 1, body: 'kept', tag: 'none' }]);
        expect(await migrateDatabase(c, [m1, m2])).toEqual({ from: 2, to: 2, applied: [] });
        const ledger = await c.query('SELECT id, name, checksum FROM emily_migrations ORDER BY id');
        expect(ledger.rows).toEqual([m1, m2].map(({ id, name, checksum }) => ({ id, name, checksum })));
      }),
    );
  });

  it('rolls back a failing migration entirely and reports which database failed', async () => {
    const good = migration(1, 'ok', 'CREATE TABLE a (id int)');
    const bad = migration(2, 'bad', 'CREATE TABLE b (id int); SELECT no_such_function()');
    await scratchDatabase((db) =>
      withAdminClient(t.emily.cluster.admin(), db, async (c) => {
        await expect(migrateDatabase(c, [good, bad], { label: 'scratch' })).rejects.toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringContaining('scratch') });
        expect((await c.query("SELECT to_regclass('b') AS t")).rows[0].t).toBeNull();
        expect((await c.query('SELECT max(id) AS v FROM emily_migrations')).rows[0].v).toBe(1);
      }),
    );
  });

  it('does not wait for ever behind a transaction holding its table: it says the profile is busy, and runs once it is free', async () => {
    const m1 = migration(1, 'notes', 'CREATE TABLE notes (id int)');
    const m2 = migration(2, 'note_body', 'ALTER TABLE notes ADD COLUMN body text');
    await scratchDatabase(async (db) => {
      const admin = t.emily.cluster.admin();
      await withAdminClient(admin, db, (c) => migrateDatabase(c, [m1]));
      await withAdminClient(admin, db, async (holder) => {
        await holder.query('BEGIN');
        await holder.query('SELECT count(*) FROM notes');
        await withAdminClient(admin, db, (c) =>
          expect(migrateDatabase(c, [m1, m2], { label: 'scratch', lockWaitMs: 200 })).rejects.toMatchObject({ code: 'BUSY', message: expect.stringMatching(/^scratch is in use: .* left at schema version 1\. Close Emily/) }),
        );
        await holder.query('COMMIT');
      });
      await withAdminClient(admin, db, async (c) => expect(await migrateDatabase(c, [m1, m2], { lockWaitMs: 200 })).toEqual({ from: 1, to: 2, applied: [2] }));
    });
  });

  it('a migrator that waited for another reports the version the other left, not the one it first read', async () => {
    const m1 = migration(1, 'one', 'CREATE TABLE one (id int)');
    const m2 = migration(2, 'two', 'CREATE TABLE two (id int)');
    await scratchDatabase(async (db) => {
      const admin = t.emily.cluster.admin();
      await withAdminClient(admin, db, (c) => migrateDatabase(c, [m1]));
      await withAdminClient(admin, db, async (other) => {
        // Another migrator in the middle of file 2, holding the ledger.
        await other.query('BEGIN');
        await other.query('LOCK TABLE emily_migrations IN EXCLUSIVE MODE');
        await other.query(m2.sql);
        await other.query('INSERT INTO emily_migrations (id, name, checksum) VALUES ($1, $2, $3)', [m2.id, m2.name, m2.checksum]);
        const waiting = withAdminClient(admin, db, (c) => migrateDatabase(c, [m1, m2]));
        await new Promise((r) => setTimeout(r, 300));
        await other.query('COMMIT');
        expect(await waiting).toEqual({ from: 1, to: 2, applied: [] });
      });
    });
  });

  it('refuses a database whose ledger is ahead of the app or whose checksums differ', async () => {
    const m1 = migration(1, 'one', 'CREATE TABLE one (id int)');
    await scratchDatabase((db) =>
      withAdminClient(t.emily.cluster.admin(), db, async (c) => {
        await migrateDatabase(c, [m1]);
        await c.query("INSERT INTO emily_migrations (id, name, checksum) VALUES (2, 'from_the_future', 'x')");
        await expect(migrateDatabase(c, [m1])).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
        await c.query('DELETE FROM emily_migrations WHERE id = 2');
        await c.query("UPDATE emily_migrations SET checksum = 'edited' WHERE id = 1");
        await expect(migrateDatabase(c, [m1])).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
      }),
    );
  });

  it('emily migrate iterates over every user: a refused database is reported, the others still migrate', async () => {
    const [ok, ahead] = [await t.user('up to date'), await t.user('from the future')];
    await withAdminClient(t.emily.cluster.admin(), ahead.dbName, (c) => c.query("INSERT INTO emily_migrations (id, name, checksum) VALUES (999, 'future', 'x')"));
    const report = await migrateAll(t.emily);
    expect(report.template.ok).toBe(true);
    const byId = new Map(report.users.map((u) => [u.userId, u]));
    expect(byId.get(ok.id)).toMatchObject({ ok: true, value: { to: loadMigrations('user').length, applied: [] } });
    expect(byId.get(ahead.id)).toMatchObject({ ok: false, error: { code: 'SCHEMA_TOO_NEW' } });
    expect(report.failed).toBeGreaterThanOrEqual(1);
    // Opening it is refused too, with a message that says what to do.
    await t.emily.users.forget(ahead.id);
    await expect(t.emily.withUser(ahead.id, (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message: expect.stringMatching(/update Emily/) });
  });
});
