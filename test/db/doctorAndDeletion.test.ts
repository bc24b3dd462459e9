import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { learnFromExchange } from '../../electron/cognition/index.js';
import { checkDatabase, openCheck } from '../../electron/databases/doctor.js';
import { loadMigrations, migrationsRoot } from '../../electron/databases/migrations.js';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { doctorAll } from '../../electron/operations/doctorAll.js';
import { deleteUser, userFootprint } from '../../electron/operations/users.js';
import { BackgroundSwitch, cognitionHandlers, JobRunner } from '../../electron/jobs/index.js';
import { statsAllUsers } from '../../electron/operations/stats.js';
import { exportUser } from '../../electron/portability/exportDump.js';
import { testHome, useTestEmily } from '../support/testEmily.js';
import { testTempDir } from '../support/tempDir.js';

const t = useTestEmily();

/** Embedding columns of type vector, HNSW indexes, queued re-embedding jobs, memories. */
const vectorState = (db: string) =>
  withAdminClient(t.emily.cluster.admin(), db, async (c) =>
    (
      await c.query(`SELECT (SELECT count(*)::int FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid WHERE a.attrelid IN ('memory_embeddings'::regclass, 'turn_embeddings'::regclass) AND a.attname = 'embedding' AND ty.typname = 'vector') AS columns,
                            (SELECT count(*)::int FROM pg_indexes WHERE tablename = 'memory_embeddings' AND indexdef LIKE '%hnsw%') AS hnsw,
                            (SELECT count(*)::int FROM jobs WHERE kind = 'reembed' AND status = 'queued') AS reembed,
                            (SELECT count(*)::int FROM memories) AS memories`)
    ).rows[0],
  );

const hasVector = (db: string) =>
  withAdminClient(t.emily.cluster.admin(), db, async (c) => (await c.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).rowCount === 1);

describe('doctor (Cold Start fragmentation)', () => {
  it('finds a user database without pgvector and --repair installs it, with the embedding columns and indexes it took along', async () => {
    const u = await t.user('fragmented');
    await learnFromExchange(t.emily, u.id, { userText: 'My sister is called Ana.' });
    await withAdminClient(t.emily.cluster.admin(), u.dbName, (c) => c.query('DROP EXTENSION vector CASCADE'));
    const before = await doctorAll(t.emily, { repair: false });
    const mine = before.users.find((r) => r.userId === u.id)!;
    expect(mine.value!.ok).toBe(false);
    expect(mine.value!.problems.join(' ')).toMatch(/vector extension is missing/);
    expect(before.ok).toBe(false);
    const after = await doctorAll(t.emily, { repair: true });
    expect(after.users.find((r) => r.userId === u.id)!.value!.repaired).toEqual(expect.arrayContaining(['installed the vector extension', expect.stringMatching(/re-created memory_embeddings\.embedding/), expect.stringMatching(/built the HNSW index/)]));
    expect(await hasVector(u.dbName)).toBe(true);
    expect(await vectorState(u.dbName)).toEqual({ columns: 2, hnsw: 1, reembed: 1, memories: 1 });
    expect((await doctorAll(t.emily, { repair: false })).users.find((r) => r.userId === u.id)!.value!.ok).toBe(true);
    // Learning works again, with vectors.
    const r = await learnFromExchange(t.emily, u.id, { userText: 'I live in Porto.' });
    expect(await t.emily.withUser(u.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM memory_embeddings WHERE memory_id = $1', [r.promoted[0]])).rows[0].n)).toBe(1);
  });

  it('finds the embedding columns lost to DROP EXTENSION … CASCADE even when the extension is back', async () => {
    const u = await t.user('re-created');
    await learnFromExchange(t.emily, u.id, { userText: 'My dog is called Rex.' });
    await withAdminClient(t.emily.cluster.admin(), u.dbName, (c) => c.query('DROP EXTENSION vector CASCADE; CREATE EXTENSION vector'));
    const mine = async (repair: boolean) => (await doctorAll(t.emily, { repair })).users.find((r) => r.userId === u.id)!.value!;
    const before = await mine(false);
    expect(before.ok).toBe(false);
    expect(before.problems.join(' ')).toMatch(/memory_embeddings has lost its embedding column.*turn_embeddings has lost its embedding column.*HNSW index of embedding model emily-hash-v1 is missing/);
    expect((await mine(true)).ok).toBe(true);
    expect(await vectorState(u.dbName)).toEqual({ columns: 2, hnsw: 1, reembed: 1, memories: 1 });
    // The queued job builds the lost vectors again, for the model in use.
    const runner = new JobRunner({ door: t.emily, handlers: cognitionHandlers(), switch: new BackgroundSwitch(testTempDir('emily-switch-')) });
    expect(await runner.runOne(u.id)).toMatchObject({ kind: 'reembed', status: 'done', detail: { embedded: 1 } });
    const vectors = await withAdminClient(t.emily.cluster.admin(), u.dbName, async (c) => (await c.query('SELECT (SELECT count(*)::int FROM memory_embeddings) AS m, (SELECT count(*)::int FROM turn_embeddings) AS t')).rows[0]);
    expect(vectors.m).toBe(1);
    expect(vectors.t).toBeGreaterThan(0);
  });

  it('finds a database whose schema is behind the app; doctor says so and the open check migrates it as its own role', async () => {
    const u = await t.user('behind');
    const dir = testTempDir('emily-migrations-');
    const previous = process.env.EMILY_MIGRATIONS_DIR;
    try {
      const shipped = loadMigrations('user').length;
      fs.cpSync(migrationsRoot(), dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'user', `${String(shipped + 1).padStart(4, '0')}_test_moods.sql`), 'CREATE TABLE moods (mood text NOT NULL);\n');
      // For this process only: the app now ships one more migration (the shared template is left alone).
      process.env.EMILY_MIGRATIONS_DIR = dir;
      const report = await checkDatabase(t.emily.cluster.admin(), u.dbName, { repair: false });
      expect(report).toMatchObject({ ok: false, schemaVersion: shipped, unrepaired: [expect.stringMatching(/emily migrate/)] });
      expect(report.problems).toContain(`schema version ${shipped} is behind ${shipped + 1}`);
      const user = await t.emily.catalog.get(u.id);
      await t.emily.withUser(u.id, (c) => openCheck(c, user, t.emily.cluster.admin()));
      const after = await withAdminClient(t.emily.cluster.admin(), u.dbName, async (c) => ({
        version: (await c.query('SELECT max(id)::int AS v FROM emily_migrations')).rows[0].v,
        owner: (await c.query("SELECT tableowner FROM pg_tables WHERE tablename = 'moods'")).rows[0]?.tableowner,
      }));
      expect(after).toEqual({ version: shipped + 1, owner: u.roleName });
      expect((await checkDatabase(t.emily.cluster.admin(), u.dbName, { repair: false })).ok).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.EMILY_MIGRATIONS_DIR;
      else process.env.EMILY_MIGRATIONS_DIR = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what to do about a profile whose database is gone from its server', async () => {
    const u = await t.user('lost');
    await t.emily.users.forget(u.id);
    await withAdminClient(t.emily.cluster.admin(), 'postgres', (c) => c.query(`DROP DATABASE ${u.dbName} WITH (FORCE)`));
    const mine = (await doctorAll(t.emily, { repair: true })).users.find((r) => r.userId === u.id)!;
    expect(mine).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining(`is missing from its server; "emily backups list --user ${u.id}"`) } });
    await deleteUser(t.emily, u.id);
    expect(await userFootprint(t.emily, u)).toEqual({ database: false, role: false, catalogRow: false });
  });

  it('finds a table dropped from an up-to-date database, which repair cannot bring back, and an export of it is refused on import', async () => {
    const u = await t.user('dropped table');
    await withAdminClient(t.emily.cluster.admin(), u.dbName, (c) => c.query('DROP TABLE memory_edges'));
    for (const repair of [false, true]) {
      const report = await checkDatabase(t.emily.cluster.admin(), u.dbName, { repair });
      expect(report.ok).toBe(false);
      expect(report.problems.join(' ')).toMatch(/tables missing although the schema is up to date: memory_edges/);
      expect(report.unrepaired.join(' ')).toMatch(/emily restore <backup> --replace/);
    }
    const { exportUser } = await import('../../electron/portability/exportDump.js');
    const { importDump } = await import('../../electron/portability/importDump.js');
    const dir = testTempDir('emily-damaged-');
    try {
      await exportUser(t.emily, u.id, path.join(dir, 'damaged.dump'));
      await expect(importDump(t.emily, path.join(dir, 'damaged.dump'), { name: 'copy of damaged' })).rejects.toMatchObject({ code: 'INVALID_DUMP', message: expect.stringMatching(/lacks tables every Emily has \(memory_edges\)/) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await deleteUser(t.emily, u.id);
  });

  it('a profile still being filled (a long import) keeps telling doctor it is alive, so --repair leaves it alone', async () => {
    const { createEmptyProfile } = await import('../../electron/portability/freshProfile.js');
    const { CATALOG_DATABASE } = await import('../../electron/core/ids.js');
    const fresh = await createEmptyProfile(t.emily, 'being filled', { heartbeatMs: 100 });
    const age = () => withAdminClient(t.emily.cluster.admin(), CATALOG_DATABASE, (c) => c.query("UPDATE users SET status_changed_at = now() - interval '10 minutes' WHERE id = $1", [fresh.user.id]));
    const isDebris = async () => (await t.emily.catalog.debris()).some((u) => u.id === fresh.user.id);
    const pause = () => new Promise((r) => setTimeout(r, 400));
    try {
      await age();
      expect(await isDebris()).toBe(true);
      await pause();
      expect(await isDebris()).toBe(false);
      fresh.release(); // what a crashed import no longer does
      await age();
      await pause();
      expect(await isDebris()).toBe(true);
    } finally {
      await fresh.discard();
    }
  });

  it('rebuilds an invalid index', async () => {
    const u = await t.user('bad index');
    await withAdminClient(t.emily.cluster.admin(), u.dbName, (c) => c.query("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'memories_tsv_idx'::regclass"));
    const r = await doctorAll(t.emily, { repair: true });
    expect(r.users.find((x) => x.userId === u.id)!.value!.repaired).toContain('rebuilt index memories_tsv_idx');
    const valid = await withAdminClient(t.emily.cluster.admin(), u.dbName, async (c) => (await c.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'memories_tsv_idx'::regclass")).rows[0].indisvalid);
    expect(valid).toBe(true);
  });

  it('finds vectors that do not have their model\'s size and --repair deletes them only', async () => {
    const u = await t.user('misfit vectors');
    await withAdminClient(t.emily.cluster.admin(), u.dbName, async (c) => {
      const model = (await c.query("INSERT INTO embedding_models (id, dimensions) VALUES ('tiny', 4) RETURNING idx")).rows[0].idx;
      const conv = (await c.query("INSERT INTO conversations (title, source) VALUES ('c', 'chat') RETURNING id")).rows[0].id;
      await c.query("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', 'one'), ($1, 'user', 'two')", [conv]);
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('a', 'fact', 'user-stated'), ('b', 'fact', 'user-stated')");
      await c.query("INSERT INTO memory_embeddings (memory_id, model_idx, embedding) SELECT id, $1, CASE WHEN content = 'a' THEN '[1,0,0,0]' ELSE '[1,0]' END::vector FROM memories", [model]);
      await c.query("INSERT INTO turn_embeddings (turn_id, model_idx, embedding) SELECT id, $1, CASE WHEN content = 'one' THEN '[0,1,0,0]' ELSE '[1,2,3,4,5]' END::vector FROM turns", [model]);
    });
    // The profile's own role owns these tables, so it could hang a trigger on them: the
    // superuser's doctor must not run it with its own rights.
    await t.emily.withUser(u.id, async (c) => {
      await c.query('CREATE TABLE who (name text)');
      await c.query("CREATE FUNCTION note_who() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO who VALUES (current_user); RETURN OLD; END $$");
      await c.query('CREATE TRIGGER note_who BEFORE DELETE ON memory_embeddings FOR EACH ROW EXECUTE FUNCTION note_who()');
    });
    const mine = async (repair: boolean) => (await doctorAll(t.emily, { repair })).users.find((r) => r.userId === u.id)!.value!;
    const before = await mine(false);
    expect(before.ok).toBe(false);
    expect(before.problems.join(' ')).toMatch(/2 vectors do not have their model's size/);
    expect((await mine(true)).repaired).toContain('deleted 2 vectors of the wrong size; a re-embedding job builds them again for the model in use');
    const left = await withAdminClient(t.emily.cluster.admin(), u.dbName, async (c) =>
      (await c.query("SELECT (SELECT string_agg(m.content, ',') FROM memory_embeddings e JOIN memories m ON m.id = e.memory_id) AS m, (SELECT string_agg(t.content, ',') FROM turn_embeddings e JOIN turns t ON t.id = e.turn_id) AS t, (SELECT count(*)::int FROM memories) AS memories, (SELECT count(*)::int FROM jobs WHERE kind = 'reembed' AND status = 'queued') AS reembed")).rows[0],
    );
    expect(left).toEqual({ m: 'a', t: 'one', memories: 2, reembed: 1 });
    const who = await t.emily.withUser(u.id, (c) => c.query('SELECT name FROM who'));
    expect(who.rows).toEqual([{ name: u.roleName }]);
    expect((await mine(false)).ok).toBe(true);
  });

  it('repairs a missing extension automatically when the database is opened', async () => {
    const u = await t.user('opened');
    await withAdminClient(t.emily.cluster.admin(), u.dbName, (c) => c.query('DROP EXTENSION vector CASCADE'));
    const fresh = await Emily.open({ home: testHome() });
    try {
      await fresh.withUser(u.id, (c) => c.query("SELECT '[1,2]'::vector"));
    } finally {
      await fresh.close({ stopServer: false });
    }
    expect(await hasVector(u.dbName)).toBe(true);
    expect((await vectorState(u.dbName)).columns).toBe(2);
  });

  it('cleans up the debris of an interrupted provisioning', async () => {
    await t.emily.catalog.insert({ id: 'debrisdebris', displayName: 'half made', dbName: 'emily_u_debrisdebris', roleName: 'emily_r_debrisdebris', server: 'local' });
    const young = await doctorAll(t.emily, { repair: true });
    expect(young.debris.map((d) => d.id)).not.toContain('debrisdebris'); // may still be in progress
    await t.emily.catalog.with((c) => c.query("UPDATE users SET status_changed_at = now() - interval '1 hour' WHERE id = 'debrisdebris'"));
    const r = await doctorAll(t.emily, { repair: true });
    expect(r.debris).toContainEqual({ id: 'debrisdebris', status: 'provisioning', repaired: true });
    expect(await userFootprint(t.emily, { id: 'debrisdebris', server: 'local', dbName: 'emily_u_debrisdebris', roleName: 'emily_r_debrisdebris' })).toEqual({ database: false, role: false, catalogRow: false });
  });
});

describe('deleting a user', () => {
  it('drops the database and the role and removes the catalog row, even with open connections', async () => {
    const u = await t.emily.catalog.get((await t.user('leaving')).id);
    await t.emily.withUser(u.id, (c) => c.query("INSERT INTO settings (key, value) VALUES ('x', '1')"));
    expect(await userFootprint(t.emily, u)).toEqual({ database: true, role: true, catalogRow: true });
    // Someone else is connected too (a psql left open, another Emily), idle in a transaction.
    const outsider = new pg.Client({ ...t.emily.cluster.admin(), database: u.dbName, application_name: 'outsider' });
    const lost = new Promise<Error>((resolve) => outsider.on('error', resolve));
    await outsider.connect();
    await outsider.query('BEGIN; SELECT count(*) FROM settings');
    const result = await deleteUser(t.emily, u.id);
    expect((await lost).message).toMatch(/terminat/i);
    await outsider.end().catch(() => undefined);
    expect(result.dropped).toEqual({ database: u.dbName, role: u.roleName });
    expect(await userFootprint(t.emily, u)).toEqual({ database: false, role: false, catalogRow: false });
    const leftovers = await withAdminClient(t.emily.cluster.admin(), 'postgres', async (c) => [
      ...(await c.query('SELECT datname AS n FROM pg_database WHERE datname LIKE $1', [`%${u.id}%`])).rows,
      ...(await c.query('SELECT rolname AS n FROM pg_roles WHERE rolname LIKE $1', [`%${u.id}%`])).rows,
    ]);
    expect(leftovers).toEqual([]);
    await expect(deleteUser(t.emily, u.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('iteration over users', () => {
  it('aggregates counts across every user database through each user\'s own role', async () => {
    const [a, b] = [await t.user('stats a'), await t.user('stats b')];
    for (const [u, n] of [[a, 2], [b, 3]] as const) {
      await t.emily.withUserTransaction(u.id, async (c) => {
        for (let i = 0; i < n; i++) await c.query("INSERT INTO memories (content, kind, source) VALUES ($1, 'fact', 'system')", [`memory ${i}`]);
      });
    }
    const s = await statsAllUsers(t.emily);
    const counts = new Map(s.perUser.map((r) => [r.userId, r.value?.l3]));
    expect(counts.get(a.id)).toBe(2);
    expect(counts.get(b.id)).toBe(3);
    expect(s.totals.l3).toBe(s.perUser.reduce((sum, r) => sum + (r.value?.l3 ?? 0), 0));
    expect(s.totals.l3).toBeGreaterThanOrEqual(5);
  });
});

describe('the schema version in the catalog', () => {
  it("follows the database: set right when the profile is opened, by doctor, and in what an export (a backup's description) says it holds", async () => {
    const latest = loadMigrations('user').length;
    const u = await t.user('catalog behind');
    // As after a migration at open or by doctor --repair in a version that did not record it.
    const stale = async () => {
      await t.emily.catalog.update(u.id, { schemaVersion: 1 });
      await t.emily.users.forget(u.id);
      expect((await t.emily.catalog.get(u.id)).schemaVersion).toBe(1);
    };
    await stale();
    await t.emily.withUser(u.id, (c) => c.query('SELECT 1'));
    expect((await t.emily.catalog.get(u.id)).schemaVersion).toBe(latest);

    await stale();
    const report = await doctorAll(t.emily, { repair: false });
    expect(report.users.find((r) => r.userId === u.id)).toMatchObject({ ok: true, value: { schemaVersion: latest } });
    expect((await t.emily.catalog.get(u.id)).schemaVersion).toBe(latest);

    const home = testTempDir('emily-export-version-');
    await stale();
    const exported = await exportUser(t.emily, u.id, path.join(home, 'x.dump'));
    expect(exported.schemaVersion).toBe(latest);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
