import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { learnFromExchange, recall } from '../../electron/cognition/index.js';
import type { AdminConnection } from '../../electron/cluster/cluster.js';
import { rolePassword } from '../../electron/cluster/secrets.js';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import type { UserRecord } from '../../electron/databases/catalog.js';
import { doctorAll } from '../../electron/operations/doctorAll.js';
import { migrateAll } from '../../electron/operations/migrateAll.js';
import { moveUser } from '../../electron/operations/moveUser.js';
import { listServers } from '../../electron/operations/servers.js';
import { statsAllUsers } from '../../electron/operations/stats.js';
import { createUser, deleteUser } from '../../electron/operations/users.js';
import { freePort } from '../../electron/cluster/freePort.js';
import { createBackup } from '../../electron/portability/backups.js';
import { restoreBackup } from '../../electron/portability/restoreBackup.js';
import { UserDatabases } from '../../electron/databases/userDatabases.js';
import { placeUser } from '../../electron/databases/placement.js';
import type { ServerDirectory } from '../../electron/databases/servers.js';
import { moveDebris, useTwoServers, userDatabasesOn, writeServersJson, type SecondServer } from '../support/secondServer.js';

/**
 * Two real PostgreSQL servers: this file's own embedded "local" one (its catalog) and a
 * second embedded cluster registered as the external server "two" through servers.json.
 * Its own home keeps these users out of the shared test catalog.
 */
const servers = useTwoServers('emily-test-servers-');
let home: string;
let second: SecondServer;
let emily: Emily;
beforeAll(() => void ({ home, second, emily } = servers));

const local = () => emily.servers.admin('local');
const two = () => emily.servers.admin('two');

async function connectAs(admin: AdminConnection, role: string, database: string): Promise<unknown> {
  const c = new pg.Client({ host: admin.host, port: admin.port, user: role, password: rolePassword(emily.secrets, role), database, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return 'connected';
  } catch (e) {
    return (e as { code?: string }).code;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A user with real memories (the HNSW index of the built-in embedder included) plus `bulk` more. */
async function userWithMemories(name: string, bulk: number, server?: string): Promise<UserRecord> {
  const u = await createUser(emily, name, { server });
  await learnFromExchange(emily, u.id, { userText: 'Remember that my sister Alma lives in Lisbon.', assistantText: 'Noted: Alma, Lisbon.' });
  if (bulk) {
    await emily.withUserTransaction(u.id, (c) =>
      c.query(
        `WITH m AS (INSERT INTO memories (content, kind, source) SELECT 'bulk fact number ' || g, 'fact', 'user-stated' FROM generate_series(1, $1::int) g RETURNING id)
         INSERT INTO memory_embeddings (memory_id, model_idx, embedding)
         SELECT m.id, (SELECT min(idx) FROM embedding_models), (SELECT array_agg(sin(m.id * g))::real[]::vector FROM generate_series(1, 384) g) FROM m`,
        [bulk],
      ),
    );
  }
  return u;
}

async function counts(userId: string): Promise<{ memories: number; turns: number }> {
  return emily.withUser(userId, async (c) => (await c.query<{ memories: number; turns: number }>('SELECT (SELECT count(*)::int FROM memories) AS memories, (SELECT count(*)::int FROM turns) AS turns')).rows[0]!);
}

/** Keeps writing one L4 turn at a time for a user; remembers every acknowledged id. */
function writer(userId: string) {
  const acked: number[] = [];
  const errors: string[] = [];
  let stop = false;
  const done = (async () => {
    const conv = await emily.withUser(userId, async (c) => (await c.query<{ id: string }>("INSERT INTO conversations (title) VALUES ('writer') RETURNING id")).rows[0]!.id);
    for (let i = 0; !stop; i++) {
      try {
        const id = await emily.withUserTransaction(userId, async (c) => (await c.query<{ id: string }>("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', $2) RETURNING id", [conv, `write ${i}`])).rows[0]!.id);
        acked.push(Number(id));
      } catch (e) {
        errors.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    acked,
    errors,
    async stop() {
      stop = true;
      await done;
    },
  };
}

async function turnIds(userId: string): Promise<Set<number>> {
  return emily.withUser(userId, async (c) => new Set((await c.query<{ id: string }>('SELECT id FROM turns')).rows.map((r) => Number(r.id))));
}

describe('several PostgreSQL servers', () => {
  it('lists both servers, reachable, and never prints their passwords', async () => {
    const list = await listServers(emily);
    expect(list.map((s) => [s.name, s.kind, s.primary, s.reachable])).toEqual([
      ['local', 'embedded', true, true],
      ['two', 'external', false, true],
    ]);
    expect(list[1]!.address).toBe(`127.0.0.1:${second.port}`);
    expect(list[1]!.walLevel).toBe('logical');
    expect(list[1]!.budget).toBeLessThanOrEqual(60);
    expect(JSON.stringify(list)).not.toContain(second.cluster.secrets.adminPassword);
    // The template (vector + schema) was made on the external server when it was opened.
    const tpl = await withAdminClient(two(), 'emily_template', async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'vector'")).rows[0].n);
    expect(tpl).toBe(1);
  });

  it('places new users on the least loaded server, and --server overrides it', async () => {
    const a = await createUser(emily, 'place a');
    const b = await createUser(emily, 'place b');
    const c = await createUser(emily, 'place c');
    expect([a.server, b.server, c.server]).toEqual(['local', 'two', 'local']);
    const d = await createUser(emily, 'place d', { server: 'local' });
    expect(d.server).toBe('local');
    expect((await userDatabasesOn(two())).sort()).toEqual([b.dbName]);
    expect(await createUser(emily, 'place e', { server: 'nowhere' }).catch((e: { code: string }) => e.code)).toBe('NOT_FOUND');
    expect(await createUser(emily, 'place f', { server: 'Bad;Name' }).catch((e: { code: string }) => e.code)).toBe('BAD_INPUT');
    const e = await createUser(emily, 'place g');
    expect(e.server).toBe('two'); // local 3, two 1
  });

  it('a user on the second server remembers and recalls through the cognition API, in their own database there', async () => {
    const u = await userWithMemories('remote', 0, 'two');
    const r = await recall(emily, u.id, 'Where does my sister Alma live?', { k: 5 });
    expect(r.results.some((x) => /Lisbon/.test(x.content))).toBe(true);
    expect(await userDatabasesOn(two())).toContain(u.dbName);
    expect(await userDatabasesOn(local())).not.toContain(u.dbName);
  });

  it('isolates users across servers: no role reaches another user, or logs in on a server without its database', async () => {
    const a = await createUser(emily, 'iso a', { server: 'local' });
    const b = await createUser(emily, 'iso b', { server: 'two' });
    const b2 = await createUser(emily, 'iso b2', { server: 'two' });
    expect(await connectAs(two(), b.roleName, b.dbName)).toBe('connected');
    expect(await connectAs(two(), a.roleName, b.dbName)).toBe('28P01'); // A has no role on server two at all
    expect(await connectAs(two(), a.roleName, 'postgres')).toBe('28P01');
    expect(await connectAs(local(), b.roleName, a.dbName)).toBe('28P01');
    expect(await connectAs(two(), b2.roleName, b.dbName)).toBe('42501'); // same server, other user's database
    expect(await connectAs(two(), b2.roleName, 'postgres')).toBe('42501');
    expect(await connectAs(two(), b2.roleName, 'emily_template')).toBe('42501');
  });

  it('moves a user under concurrent writes: every acknowledged write arrives, the old copy is gone, the user works', async () => {
    const m = await userWithMemories('mover', 600, 'local');
    const other = await createUser(emily, 'bystander', { server: 'local' });
    const before = await counts(m.id);
    const wm = writer(m.id);
    const wo = writer(other.id);
    await new Promise((r) => setTimeout(r, 200));
    const ackedBefore = wm.acked.length;
    const steps: string[] = [];
    const report = await moveUser(emily, m.id, 'two', { at: async (s) => void steps.push(s) });
    const ackedDuringMove = wm.acked.length - ackedBefore;
    await new Promise((r) => setTimeout(r, 200));
    await wm.stop();
    await wo.stop();
    expect(steps).toEqual(['prepared', 'subscribed', 'synced', 'frozen', 'verified', 'switched']);
    expect(ackedDuringMove).toBeGreaterThan(0);
    expect(wm.errors).toEqual([]);
    expect(wo.errors).toEqual([]);
    expect((await emily.catalog.get(m.id)).server).toBe('two');
    const ids = await turnIds(m.id);
    expect(wm.acked.filter((id) => !ids.has(id))).toEqual([]);
    expect((await counts(m.id)).memories).toBe(before.memories);
    expect(await userDatabasesOn(local())).not.toContain(m.dbName);
    expect(await userDatabasesOn(two())).toContain(m.dbName);
    expect(await moveDebris(local())).toEqual([]);
    expect(await moveDebris(two())).toEqual([]);
    const role = await withAdminClient(local(), 'postgres', async (c) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [m.roleName])).rowCount);
    expect(role).toBe(0);
    // The per-model HNSW index made at run time came along.
    const hnsw = await withAdminClient(two(), m.dbName, async (c) => (await c.query("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'memory\\_embeddings\\_hnsw\\_%'")).rowCount);
    expect(hnsw).toBe(1);
    // Sequences continue after the copied rows; the user keeps learning and recalling.
    const next = await learnFromExchange(emily, m.id, { userText: 'Remember that my brother Tomas plays the cello.', assistantText: 'Noted.' });
    expect(next.userTurnId).toBeGreaterThan(Math.max(...wm.acked));
    const r = await recall(emily, m.id, 'Who plays the cello?', { k: 5 });
    expect(r.results.some((x) => /cello/.test(x.content))).toBe(true);
    expect(report.tables.find((t) => t.table === 'memories')!.rows).toBe(before.memories);
    console.log(`move of ${before.memories} memories: total ${report.totalMs} ms, unavailable ${report.unavailableMs} ms, ${ackedDuringMove} writes acknowledged during the move`);
  });

  it('a delete while the profile is being moved is refused as busy, doctor leaves the move alone; the move finishes and the profile is whole', async () => {
    const u = await userWithMemories('deleted mid-move', 20, 'local');
    const before = await counts(u.id);
    let refused: unknown;
    const doctorSaw: unknown[] = [];
    await moveUser(emily, u.id, 'two', {
      at: async (step) => {
        if (step !== 'subscribed') return;
        refused = await deleteUser(emily, u.id).catch((e: unknown) => e);
        // Doctor, with and without --repair, sees a move in progress, not an interrupted one to report.
        for (const repair of [false, true]) doctorSaw.push((await doctorAll(emily, { repair })).moves.find((m) => m.userId === u.id));
      },
    });
    expect(doctorSaw).toEqual([expect.objectContaining({ running: true, repaired: false }), expect.objectContaining({ running: true, repaired: false })]);
    expect(refused).toMatchObject({ code: 'BUSY', message: expect.stringContaining('is being moved to another server or replaced; wait for that to finish') });
    const now = await emily.catalog.get(u.id);
    expect([now.server, now.status]).toEqual(['two', 'ready']);
    expect(await counts(u.id)).toEqual(before);
    // Once the move is over, the delete goes through, on the server the profile now lives on.
    await deleteUser(emily, u.id);
    expect(await userDatabasesOn(two())).not.toContain(u.dbName);
    expect(await moveDebris(local())).toEqual([]);
  });

  it('a target whose replication workers are taken by other moves refuses one more, before anything is made, instead of stalling all of them', async () => {
    const u = await userWithMemories('waits for room', 5, 'local');
    const db = `emily_scratch_subs_${Math.random().toString(36).slice(2, 8)}`;
    await withAdminClient(two(), 'postgres', (c) => c.query(`CREATE DATABASE ${db}`));
    try {
      // Three moves already receiving (the embedded server has 4 workers): as their subscriptions count.
      await withAdminClient(two(), db, async (c) => {
        for (const n of [1, 2, 3]) await c.query(`CREATE SUBSCRIPTION emily_mv_other${n} CONNECTION 'host=127.0.0.1 dbname=none' PUBLICATION p WITH (connect = false)`);
      });
      const err = await moveUser(emily, u.id, 'two').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BUSY', message: expect.stringContaining('server "two" is already receiving 3 move(s), and its 4 replication workers would leave none to copy tables') });
      expect(await userDatabasesOn(two())).not.toContain(u.dbName);
      expect(await moveDebris(local())).toEqual([]);
    } finally {
      await withAdminClient(two(), db, async (c) => {
        for (const n of [1, 2, 3]) await c.query(`ALTER SUBSCRIPTION emily_mv_other${n} SET (slot_name = NONE)`).then(() => c.query(`DROP SUBSCRIPTION emily_mv_other${n}`));
      });
      await withAdminClient(two(), 'postgres', (c) => c.query(`DROP DATABASE ${db}`));
    }
    const moved = await moveUser(emily, u.id, 'two');
    expect(moved.to).toBe('two');
  });

  it('a cancelled move (Ctrl-C) is undone: the user stays on the source, working, and nothing of the copy is left', async () => {
    const u = await userWithMemories('cancelled move', 20, 'local');
    const before = await counts(u.id);
    const ac = new AbortController();
    const err = await moveUser(emily, u.id, 'two', { signal: ac.signal, at: async (step) => void (step === 'subscribed' && ac.abort()) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/failed; they stay on "local": the move was cancelled/) });
    const now = await emily.catalog.get(u.id);
    expect([now.server, now.status]).toEqual(['local', 'ready']);
    expect(await counts(u.id)).toEqual(before);
    expect(await userDatabasesOn(two())).not.toContain(u.dbName);
    expect(await moveDebris(local())).toEqual([]);
    expect(await moveDebris(two())).toEqual([]);
  });

  it('a move whose verification fails leaves the user on the source, working, and removes the copy', async () => {
    const u = await userWithMemories('verify fails', 50, 'local');
    const before = await counts(u.id);
    let backupId = '';
    const err = await moveUser(emily, u.id, 'two', {
      at: async (step) => {
        // A backup taken mid-move must not carry the move's publication (imports refuse those).
        if (step === 'synced') backupId = (await createBackup(emily, u.id, { kind: 'manual' })).id;
        // A row that exists only on the target: the copy no longer equals the original.
        if (step === 'frozen') await withAdminClient(two(), u.dbName, (c) => c.query("INSERT INTO settings (key, value) VALUES ('zz.extra', '1'::jsonb)"));
      },
    }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/does not match the original.*settings/);
    const now = await emily.catalog.get(u.id);
    expect([now.server, now.status]).toEqual(['local', 'ready']);
    expect(await counts(u.id)).toEqual(before);
    await emily.withUser(u.id, (c) => c.query("INSERT INTO conversations (title) VALUES ('still works')"));
    expect(await userDatabasesOn(two())).not.toContain(u.dbName);
    expect(await moveDebris(local())).toEqual([]);
    expect(await moveDebris(two())).toEqual([]);
    const restored = await restoreBackup(emily, backupId, { as: 'restored mid-move backup' });
    expect(await counts(restored.user.id)).toEqual(before);
  });

  it('runs migrate, doctor, stats and backups over users on every server, one line per database', async () => {
    const mig = await migrateAll(emily);
    expect(mig.failed).toBe(0);
    expect(new Set(mig.users.map((u) => u.server))).toEqual(new Set(['local', 'two']));
    const doc = await doctorAll(emily, { repair: false });
    expect(doc.ok).toBe(true);
    expect(doc.servers.map((s) => [s.name, s.ok])).toEqual([['local', true], ['two', true]]);
    const stats = await statsAllUsers(emily);
    expect(stats.failed).toBe(0);
    expect(stats.perUser.filter((p) => p.server === 'two').length).toBeGreaterThan(0);
    const remote = stats.perUser.find((p) => p.server === 'two')!;
    const backup = await createBackup(emily, remote.userId, { kind: 'manual' });
    expect(backup.userId).toBe(remote.userId);
    expect(backup.bytes).toBeGreaterThan(1000); // pg_dump reached the user's database on server two
  });

  it('restore --replace of a profile on the second server makes its copy there, even where placement would choose the other server', async () => {
    const u = await createUser(emily, 'replaced on two', { server: 'two' });
    await emily.withUser(u.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('kept through the restore', 'fact', 'user-stated')"));
    const backup = await createBackup(emily, u.id, { kind: 'manual' });
    await emily.withUser(u.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('written after the backup', 'fact', 'user-stated')"));
    // "two" holds more users than "local": a new profile placed freely would land on "local".
    const fillers: string[] = [];
    for (let counts = await emily.catalog.countsByServer(); (counts.get('two') ?? 0) <= (counts.get('local') ?? 0); counts = await emily.catalog.countsByServer()) {
      fillers.push((await createUser(emily, 'filler on two', { server: 'two' })).id);
    }
    const r = await restoreBackup(emily, backup.id, { replace: true });
    expect(r.replaced).toBe(true);
    expect(r.user).toMatchObject({ id: u.id, server: 'two', dbName: u.dbName, status: 'ready' });
    const contents = await emily.withUser(u.id, async (c) => (await c.query<{ content: string }>('SELECT content FROM memories ORDER BY id')).rows.map((x) => x.content));
    expect(contents).toEqual(['kept through the restore']);
    expect(await userDatabasesOn(local())).not.toContain(u.dbName);
    for (const id of fillers) await deleteUser(emily, id);
  });

  it('an unreachable server is reported without its password, and new users go elsewhere', async () => {
    const port = await freePort(); // nothing listens there
    const secret = 'Unreachable-Secret-9f3k';
    const env = { ...process.env, EMILY_HOME: home, EMILY_SERVERS: `down=postgres://postgres:${secret}@127.0.0.1:${port}`, EMILY_SPARE_DATABASES: '0' };
    const r = await promisify(execFile)(process.execPath, ['bin/emily.mjs', 'servers', 'list', '--json'], { env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((r as { code?: number }).code).toBe(1);
    const list = JSON.parse(r.stdout) as { name: string; reachable: boolean; error?: string }[];
    expect(list.map((s) => [s.name, s.reachable])).toEqual([['local', true], ['two', true], ['down', false]]);
    expect(list[2]!.error).toMatch(/down.*127\.0\.0\.1:\d+/);
    expect(r.stdout + r.stderr).not.toContain(secret);
    // Placement passes over a server that cannot be reached.
    const withDown: ServerDirectory = {
      names: () => ['down', ...emily.servers.names()],
      admin: (n) => (n === 'down' ? { host: '127.0.0.1', port, user: 'postgres', password: secret } : emily.servers.admin(n)),
      ready: (n) => (n === 'down' ? Promise.reject(new Error('connect ECONNREFUSED')) : emily.servers.ready!(n)),
    };
    expect(await placeUser(emily.catalog, withDown)).not.toBe('down');
    const refused = await promisify(execFile)(process.execPath, ['bin/emily.mjs', 'users', 'create', 'there', '--server', 'down', '--json'], { env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((refused as { code?: number }).code).toBeGreaterThan(0);
    expect(JSON.parse(refused.stdout).error.code).toBe('CLUSTER_UNAVAILABLE');
    expect(refused.stdout + refused.stderr).not.toContain(secret);
  });

  it('moves leave no credentials in either server log', () => {
    const logs = [path.join(home, 'pgdata', 'server.log'), path.join(second.home, 'pgdata', 'server.log')].map((f) => fs.readFileSync(f, 'utf8'));
    for (const log of logs) {
      expect(log).not.toMatch(/password=/i);
      expect(log).not.toContain(second.cluster.secrets.adminPassword);
      expect(log).not.toContain(emily.secrets.adminPassword);
    }
  });

  it('can run without the embedded server: the catalog lives on the first external server', async () => {
    const h = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-test-noembed-'));
    try {
      writeServersJson(h, { main: second.url }, { embedded: false });
      const e = await Emily.open({ home: h, spareDatabases: 0 });
      try {
        expect(e.servers.names()).toEqual(['main']);
        expect(fs.existsSync(path.join(h, 'pgdata'))).toBe(false);
        const u = await createUser(e, 'no embed');
        expect(u.server).toBe('main');
        await learnFromExchange(e, u.id, { userText: 'Remember that I keep bees.', assistantText: 'Bees!' });
        expect((await recall(e, u.id, 'What do I keep?', { k: 3 })).results.some((x) => /bees/.test(x.content))).toBe(true);
        const catalogThere = await withAdminClient(two(), 'emily_catalog', async (c) => (await c.query('SELECT server FROM users WHERE id = $1', [u.id])).rows);
        expect(catalogThere).toEqual([{ server: 'main' }]);
        await withAdminClient(two(), 'postgres', async (c) => {
          await c.query(`DROP DATABASE ${u.dbName} WITH (FORCE)`);
          await c.query(`DROP ROLE ${u.roleName}`);
        });
      } finally {
        await e.close();
      }
    } finally {
      fs.rmSync(h, { recursive: true, force: true });
    }
  });

  it('each server has its own connection budget: a full server does not hold up users on another', async () => {
    const a = await createUser(emily, 'budget a', { server: 'local' });
    const a2 = await createUser(emily, 'budget a2', { server: 'local' });
    const b = await createUser(emily, 'budget b', { server: 'two' });
    const dbs = new UserDatabases({ catalog: emily.catalog, servers: emily.servers, secrets: emily.secrets, budget: 1, applicationName: 'emily-budget-test' });
    try {
      let releaseA!: () => void;
      const holding = dbs.withUser(a.id, () => new Promise<void>((r) => (releaseA = r)));
      await new Promise((r) => setTimeout(r, 300));
      // local's one connection is taken: a2 waits in line, b (on two) goes straight through.
      let a2Done = false;
      const waiting = dbs.withUser(a2.id, async (c) => (await c.query('SELECT 1')).rowCount).then((n) => ((a2Done = true), n));
      expect(await dbs.withUser(b.id, async (c) => (await c.query('SELECT 1')).rowCount)).toBe(1);
      expect(a2Done).toBe(false);
      const st = dbs.pools.stats();
      expect([st.servers.local?.openConnections, st.servers.two?.openConnections, st.servers.local?.waiting]).toEqual([1, 1, 1]);
      releaseA();
      await holding;
      expect(await waiting).toBe(1);
      expect(st.servers.local!.peakConnections).toBeLessThanOrEqual(1);
      expect(dbs.pools.stats().servers.two!.peakConnections).toBe(1);
    } finally {
      await dbs.close();
    }
  });

  it('keeps spare databases on every server and new users there claim them', async () => {
    const e = await Emily.open({ home, spareDatabases: 1 });
    try {
      await e.spares.settle();
      const spares = () => withAdminClient(two(), 'postgres', async (c) => (await c.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE 'emily\\_spare\\_%'")).rows.map((r) => r.d));
      const [spare] = await spares();
      expect(spare).toBeDefined();
      const oid = async (name: string) => withAdminClient(two(), 'postgres', async (c) => (await c.query('SELECT oid FROM pg_database WHERE datname = $1', [name])).rows[0]?.oid);
      const spareOid = await oid(spare!);
      const u = await createUser(e, 'spare user', { server: 'two' });
      expect(await oid(u.dbName)).toBe(spareOid); // the spare, renamed
      await e.withUser(u.id, (c) => c.query('SELECT count(*) FROM memories'));
    } finally {
      await e.spares.settle();
      await e.close({ stopServer: false });
    }
    await withAdminClient(two(), 'postgres', async (c) => {
      for (const r of (await c.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE 'emily\\_spare\\_%'")).rows) await c.query(`DROP DATABASE ${r.d}`);
    });
  });

  // Last: it kills the second server (and starts it again).
  it('a server that dies after it was ready: a new user goes to the other server, and the dead one is prepared again before it is trusted', async () => {
    const counts = await emily.catalog.countsByServer();
    // Make "two" the least loaded, so placement would choose it.
    for (let i = (counts.get('two') ?? 0) - (counts.get('local') ?? 0); i >= 0; i--) await createUser(emily, `ballast ${i}`, { server: 'local' });
    expect(emily.servers.state!('two').status).toBe('ready');
    second.kill();
    try {
      const u = await createUser(emily, 'while two is down');
      expect(u.server).toBe('local');
      await emily.withUser(u.id, (c) => c.query('SELECT count(*) FROM memories'));
      expect(emily.servers.state!('two')).toMatchObject({ status: 'unreachable', error: expect.stringMatching(/two|connect/) });
      // Nothing of the failed attempt is left on the primary's catalog.
      expect((await emily.catalog.list({ includeAll: true })).filter((x) => x.server === 'two' && x.status !== 'ready')).toEqual([]);
    } finally {
      await second.start();
    }
    await expect(emily.servers.ready!('two')).resolves.toMatchObject({ version: expect.any(String) });
    expect(emily.servers.state!('two').status).toBe('ready');
  });
});

