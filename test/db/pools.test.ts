import { rolePassword } from '../../electron/cluster/secrets.js';
import { describe, expect, it } from 'vitest';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { UserDatabases } from '../../electron/databases/userDatabases.js';
import { useTestEmily } from '../support/testEmily.js';

const t = useTestEmily();

// Other test files iterate over every user too; count only this file's pools.
const APP = 'emily-pools-test';

async function serverConnectionsTo(dbNames: string[]): Promise<number> {
  return withAdminClient(t.emily.cluster.admin(), 'postgres', async (c) => {
    const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1) AND application_name = $2', [dbNames, APP]);
    return r.rows[0]!.n;
  });
}

describe('user pools under a global connection budget', () => {
  it('serves many users with more concurrent callers than connections, never above the budget', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, (_, i) => t.user(`pool ${i}`)));
    const budget = 3;
    const dbs = new UserDatabases({ catalog: t.emily.catalog, servers: t.emily.servers, secrets: t.emily.cluster.secrets, applicationName: APP, budget, perUserMax: 2 });
    let maxSeen = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxSeen = Math.max(maxSeen, await serverConnectionsTo(users.map((u) => u.dbName)));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const u = users[i % users.length]!;
          return dbs.withUser(u.id, async (c) => (await c.query<{ db: string }>('SELECT current_database() AS db, pg_sleep(0.01)')).rows[0]!.db);
        }),
      );
      results.forEach((db, i) => expect(db).toBe(users[i % users.length]!.dbName));
      expect(dbs.pools.stats().peakConnections).toBeLessThanOrEqual(budget);
    } finally {
      sampling = false;
      await sampler;
      await dbs.close();
    }
    expect(maxSeen).toBeGreaterThan(0);
    expect(maxSeen).toBeLessThanOrEqual(budget);
  });

  it('connects as the user\'s own role and releases connections when the callback throws', async () => {
    const u = await t.user('roles');
    const dbs = new UserDatabases({ catalog: t.emily.catalog, servers: t.emily.servers, secrets: t.emily.cluster.secrets, applicationName: APP, budget: 1 });
    try {
      expect(await dbs.withUser(u.id, async (c) => (await c.query('SELECT current_user AS u')).rows[0].u)).toBe(u.roleName);
      for (let i = 0; i < 3; i++) {
        await expect(dbs.withUser(u.id, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
        await expect(dbs.withUser(u.id, (c) => c.query('SELECT * FROM no_such_table'))).rejects.toMatchObject({ code: '42P01' });
      }
      // With a budget of one, a leaked connection would make this wait forever.
      expect(await dbs.withUser(u.id, async (c) => (await c.query('SELECT 1 AS one')).rows[0].one)).toBe(1);
    } finally {
      await dbs.close();
    }
  });

  it("reaches the embedded server through its socket in the data folder, still as the user's role with a password", async () => {
    const u = await t.user('socket');
    const admin = t.emily.cluster.admin();
    expect(admin.socketDir).toBe(t.emily.cluster.layout.pgdata);
    const who = await t.emily.withUser(u.id, async (c) => (await c.query('SELECT inet_server_addr() AS addr, current_user AS role')).rows[0]);
    expect(who).toEqual({ addr: null, role: u.roleName }); // no server address: not TCP
    const pg = (await import('pg')).default;
    const wrong = new pg.Client({ host: admin.socketDir, port: admin.port, user: u.roleName, password: 'not-the-password', database: u.dbName });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await wrong.end().catch(() => undefined);
  });

  it('asks for the password itself over the private socket and for SCRAM over TCP', async () => {
    const u = await t.user('auth methods');
    const admin = t.emily.cluster.admin();
    const pg = (await import('pg')).default;
    const password = rolePassword(t.emily.cluster.secrets, u.roleName);
    const authRequests = async (host: string) => {
      const c = new pg.Client({ host, port: admin.port, user: u.roleName, password, database: u.dbName });
      const seen: string[] = [];
      (c as unknown as { connection: NodeJS.EventEmitter }).connection.on('message', (m: { name: string }) => seen.push(m.name));
      await c.connect();
      await c.end();
      return seen.filter((n) => n.startsWith('authentication'));
    };
    expect(await authRequests(admin.socketDir!)).toEqual(['authenticationCleartextPassword', 'authenticationOk']);
    expect(await authRequests(admin.host)).toEqual(['authenticationSASL', 'authenticationSASLContinue', 'authenticationSASLFinal', 'authenticationOk']);
  });

  it('rolls back withUserTransaction when the callback fails', async () => {
    const u = await t.user('tx');
    await expect(
      t.emily.withUserTransaction(u.id, async (c) => {
        await c.query("INSERT INTO settings (key, value) VALUES ('theme', '\"dark\"')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const n = await t.emily.withUser(u.id, (c) => c.query("SELECT 1 FROM settings WHERE key = 'theme'"));
    expect(n.rowCount).toBe(0);
  });

  it('refuses unknown and malformed user ids with clear errors', async () => {
    await expect(t.emily.withUser('abcdefghijkl', async () => 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.emily.withUser("x'; DROP", async () => 1)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('closes the least recently used idle pool when the budget is full', async () => {
    const [a, b] = [await t.user('lru a'), await t.user('lru b')];
    const dbs = new UserDatabases({ catalog: t.emily.catalog, servers: t.emily.servers, secrets: t.emily.cluster.secrets, applicationName: APP, budget: 1, idleMs: 60_000 });
    try {
      await dbs.withUser(a.id, (c) => c.query('SELECT 1'));
      expect(await serverConnectionsTo([a.dbName])).toBe(1); // kept idle for reuse
      await dbs.withUser(b.id, (c) => c.query('SELECT 1'));
      expect(dbs.pools.stats().openConnections).toBe(1);
      await new Promise((r) => setTimeout(r, 100)); // the server notices the closed connection
      expect(await serverConnectionsTo([a.dbName])).toBe(0);
    } finally {
      await dbs.close();
    }
  });

  it('keeps headroom: once the budget is nearly full, the least recently used idle pool is closed ahead of need', async () => {
    const users = [await t.user('room a'), await t.user('room b'), await t.user('room c')];
    // Budget 10 keeps one permit spare (headroom = a tenth).
    const dbs = new UserDatabases({ catalog: t.emily.catalog, servers: t.emily.servers, secrets: t.emily.cluster.secrets, applicationName: APP, budget: 10, perUserMax: 4, idleMs: 60_000 });
    try {
      // Four connections each for a and b (held at once, so the pool opens four), then c.
      for (const u of users.slice(0, 2)) await Promise.all([1, 2, 3, 4].map(() => dbs.withUser(u.id, (c) => c.query('SELECT pg_sleep(0.05)'))));
      expect(dbs.pools.stats().openConnections).toBe(8);
      await Promise.all([1, 2].map(() => dbs.withUser(users[2]!.id, (c) => c.query('SELECT pg_sleep(0.05)'))));
      // 10 in use left no spare: a, the least recently used, was closed without anyone waiting.
      await new Promise((r) => setTimeout(r, 100));
      expect(dbs.pools.stats().openConnections).toBe(6);
      expect(await serverConnectionsTo([users[0]!.dbName])).toBe(0);
      expect(await serverConnectionsTo([users[1]!.dbName, users[2]!.dbName])).toBe(6);
    } finally {
      await dbs.close();
    }
  });
});
