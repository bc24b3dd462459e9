import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPostmaster } from '../../electron/cluster/postmaster.js';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import type { UserRecord } from '../../electron/databases/catalog.js';
import { BackgroundSwitch, cognitionHandlers, JobRunner } from '../../electron/jobs/index.js';
import { createUser } from '../../electron/operations/users.js';
import { useTestEmily } from '../support/testEmily.js';
import { disposeHome, killPostmaster, newHome, until } from './support/processes.js';

const t = useTestEmily({ spareDatabases: 0 });
const homes: string[] = [];
afterAll(async () => {
  for (const h of homes) await disposeHome(h);
});

/** Connections our user pools hold on the server, as PostgreSQL itself counts them. */
async function serverSide(emily: Emily, users: UserRecord[]): Promise<number> {
  return withAdminClient(emily.cluster.admin(), 'postgres', async (c) =>
    (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1) AND usename = ANY($2)', [users.map((u) => u.dbName), users.map((u) => u.roleName)])).rows[0]!.n,
  );
}

describe('the PostgreSQL server dies under a running core', () => {
  it('restarts the server it owns, and the pools recover without restarting Emily and without leaking connection permits', async () => {
    const home = newHome('serverdeath');
    homes.push(home);
    const pgdata = path.join(home, 'pgdata');
    const emily = await Emily.open({ home, spareDatabases: 0, perUserMax: 3 });
    let second: Emily | undefined;
    let runner: JobRunner | undefined;
    try {
      expect(emily.cluster.ownsServer).toBe(true);
      // A second core attached to the same server (as the CLI next to the desktop app): both watch it.
      second = await Emily.open({ home, spareDatabases: 0 });
      expect(second.cluster.ownsServer).toBe(false);
      const users = [await createUser(emily, 'ann'), await createUser(emily, 'bob')];
      const budget = emily.users.pools.budget;
      // The app's background job runner keeps polling every user's job table throughout.
      let failedPolls = 0;
      const listUsers = async () => {
        try {
          return (await emily.catalog.list()).map((u) => u.id);
        } catch (e) {
          failedPolls++;
          throw e;
        }
      };
      runner = new JobRunner({ door: emily, handlers: cognitionHandlers(), switch: new BackgroundSwitch(home), listUsers, pollMs: 50 });
      runner.start();
      // Warm both pools: several idle connections each.
      await Promise.all(users.flatMap((u) => [1, 2, 3].map(() => emily.withUser(u.id, (c) => c.query('SELECT pg_sleep(0.05)')))));
      expect(budget.inUse).toBe(6);
      await emily.withUserTransaction(users[0]!.id, (c) => c.query("INSERT INTO settings (key, value) VALUES ('before.crash', '1')"));

      // One caller holds a connection (between two statements) when the server dies.
      let release!: () => void;
      const holding = new Promise<void>((r) => (release = r));
      let held!: () => void;
      const isHeld = new Promise<void>((r) => (held = r));
      const inFlight = emily.withUser(users[1]!.id, async (c) => {
        await c.query('SELECT 1');
        held();
        await holding;
        return c.query('SELECT 2');
      });
      await isHeld;
      const port = emily.cluster.admin().port;
      const before = readPostmaster(pgdata)!.pid;

      await killPostmaster(pgdata);
      // The runner polls the dead server (a process-ending unhandled rejection, before the fix).
      await until('the job runner to poll the dead server', () => failedPolls >= 2, 10_000);
      // Idle connections are dropped (their permits returned) as soon as the pool hears of the death.
      await until('the dead idle connections to be dropped', () => budget.inUse <= 1, 10_000);
      release();
      await expect(inFlight).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
      await until('every permit of a dead connection to be returned', () => budget.inUse === 0, 10_000);

      // Emily restarts the server, on the same port: exactly one of the two cores does.
      await until('the server to be restarted', () => emily.supervisor!.restarts + second!.supervisor!.restarts >= 1, 60_000);
      expect(readPostmaster(pgdata)!.pid).not.toBe(before);
      expect(emily.cluster.admin().port).toBe(port);
      expect(second.cluster.admin().port).toBe(port);
      expect((await second.catalog.list()).map((u) => u.id).sort()).toEqual(users.map((u) => u.id).sort());

      // The very next calls succeed, committed data is there, and writes work.
      const results = await Promise.all(users.flatMap((u) => [1, 2, 3, 4].map(() => emily.withUser(u.id, async (c) => (await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db))));
      expect(results.sort()).toEqual([...users.map((u) => u.dbName), ...users.map((u) => u.dbName), ...users.map((u) => u.dbName), ...users.map((u) => u.dbName)].sort());
      expect((await emily.withUser(users[0]!.id, (c) => c.query("SELECT 1 FROM settings WHERE key = 'before.crash'"))).rowCount).toBe(1);
      await emily.withUserTransaction(users[1]!.id, (c) => c.query("INSERT INTO settings (key, value) VALUES ('after.crash', '1')"));
      expect(await emily.catalog.list()).toHaveLength(2);

      // Every permit the budget counts is a live connection on the server.
      expect(budget.inUse).toBeGreaterThan(0);
      let seen = -1;
      await until('permits to match live connections', async () => budget.inUse === (seen = await serverSide(emily, users)), 10_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${budget.inUse} permits, ${seen} connections on the server`);
      });
      await runner.stop();
      for (const u of users) await emily.users.forget(u.id);
      await until('the closed pools to return their permits', () => budget.inUse === 0, 10_000);
      await Promise.all([emily.supervisor!.check(), second.supervisor!.check()]);
      expect(emily.supervisor!.restarts + second.supervisor!.restarts).toBe(1);
      expect([emily.supervisor!.lastError, second.supervisor!.lastError]).toEqual([undefined, undefined]);
    } finally {
      await runner?.stop();
      await second?.close({ stopServer: false });
      await emily.close({ stopServer: true });
    }
  }, 120_000);

  it('discards connections whose backend was terminated: the next calls succeed, a statement cut off says so, no permit leaks', async () => {
    const u = await t.user('terminated');
    const emily = t.emily;
    const budget = emily.users.pools.budget;
    const terminate = (filter: string) =>
      withAdminClient(emily.cluster.admin(), 'postgres', async (c) => (await c.query<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND usename = $2 AND ${filter}`, [u.dbName, u.roleName])).rows[0]!.n);
    const warm = () => Promise.all([1, 2, 3].map(() => emily.withUser(u.id, (c) => c.query('SELECT pg_sleep(0.05)'))));

    for (let round = 0; round < 5; round++) {
      await warm();
      const idle = emily.users.pools.stats().openConnections;
      expect(await terminate("state = 'idle'")).toBeGreaterThanOrEqual(1);
      // At once, before the pool may have heard of it: every call still succeeds.
      const got = await Promise.all([1, 2, 3, 4].map(() => emily.withUserTransaction(u.id, async (c) => (await c.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n)));
      expect(got).toEqual([1, 1, 1, 1]);
      expect(idle).toBeGreaterThan(0);
    }

    // A call whose connection dies after one of its statements completed is not retried (that
    // statement may have changed something): it fails with a clear error...
    const running = emily
      .withUser(u.id, async (c) => {
        await c.query('SELECT 1');
        return c.query('SELECT pg_sleep(30)');
      })
      .then(
        () => 'completed',
        (e: unknown) => e,
      );
    await until('the statement to run', async () => (await terminate("state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'")) === 1, 10_000);
    expect(await running).toMatchObject({ code: 'CLUSTER_UNAVAILABLE', message: expect.stringMatching(/connection to the database server was lost/) });
    // ...and the next one works.
    expect((await emily.withUser(u.id, (c) => c.query('SELECT 1'))).rowCount).toBe(1);

    // Every permit still counted is a live connection of this user on the server.
    let seen = -1;
    await until('permits to match live connections', async () => budget.inUse === (seen = await serverSide(emily, [u])), 10_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${budget.inUse} permits, ${seen} connections on the server`);
    });
    await emily.users.forget(u.id);
    await until('the closed pool to return its permits', () => budget.inUse === 0, 10_000);
  }, 60_000);
  it('never runs a call twice when its connection dies after its first statement committed, and still retries where nothing of it reached the server', async () => {
    const u = await t.user('once');
    const emily = t.emily;
    // memories has no unique key but its id, so a write made twice would show as two rows.
    const rows = async (content: string) => (await emily.withUser(u.id, (c) => c.query<{ n: number }>('SELECT count(*)::int AS n FROM memories WHERE content = $1', [content]))).rows[0]!.n;
    const write = (content: string) => `INSERT INTO memories (content, kind, source) VALUES ('${content}', 'fact', 'user-stated')`;
    // An autocommit write that commits, then loses its backend before the reply reaches us:
    // the caller hears that the connection was lost, and the write happened once.
    await emily.withUser(u.id, (c) => c.query('SELECT 1')); // the next call reuses this connection
    const once = emily.withUser(u.id, (c) => c.query(`${write('once')}; COMMIT; SELECT pg_terminate_backend(pg_backend_pid())`));
    await expect(once).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE', message: expect.stringMatching(/connection to the database server was lost/) });
    expect(await rows('once')).toBe(1);

    // A connection idle for a while whose backend ended unnoticed (signalled at the very moment
    // of the call, so the pool cannot have heard of it yet) is found dead before the write is
    // sent: the write runs on a fresh connection, once.
    const pid = await emily.withUser(u.id, async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, 'SIGTERM');
    await emily.withUser(u.id, (c) => c.query(write('after.idle')));
    expect(await rows('after.idle')).toBe(1);
    await emily.users.forget(u.id);
  }, 60_000);
});
