import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { replenishSpares } from '../../electron/databases/spares.js';
import { createUser, deleteUser } from '../../electron/operations/users.js';

// A server of its own: on the shared one, other test files claim spares concurrently.
let home: string;
let server: Emily;
beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-spares-'));
  server = await Emily.open({ home, spareDatabases: 0 });
});
afterAll(async () => {
  await server.close({ stopServer: true });
  fs.rmSync(home, { recursive: true, force: true });
});
const testHome = () => home;

const spares = (emily: Emily) =>
  withAdminClient(emily.cluster.admin(), 'postgres', async (c) =>
    (await c.query("SELECT datname, shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname LIKE 'emily\\_spare\\_%' ORDER BY 1")).rows as { datname: string; marker: string }[],
  );

describe('spare databases', () => {
  it('provisioning claims a ready spare, the user owns it as usual, and the spare is replaced', async () => {
    const emily = await Emily.open({ home: testHome(), spareDatabases: 1 });
    try {
      await emily.spares.settle();
      const before = await spares(emily);
      expect(before.length).toBeGreaterThanOrEqual(1);
      const u = await createUser(emily, 'from a spare');
      const remaining = (await spares(emily)).map((s) => s.datname);
      const claimed = before.map((s) => s.datname).filter((n) => !remaining.includes(n));
      expect(claimed.length).toBe(1); // renamed into the user's database
      await withAdminClient(emily.cluster.admin(), u.dbName, async (c) => {
        expect((await c.query("SELECT pg_get_userbyid(datdba) AS o, shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname = current_database()")).rows[0]).toEqual({ o: u.roleName, marker: null });
        expect((await c.query("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")).rows).toEqual([{ tableowner: u.roleName }]);
        expect((await c.query("SELECT has_database_privilege('public', current_database(), 'CONNECT') AS can")).rows[0].can).toBe(false);
      });
      await emily.withUser(u.id, (c) => c.query("INSERT INTO settings (key, value) VALUES ('ok', 'true')"));
      await emily.spares.settle();
      expect((await spares(emily)).length).toBeGreaterThanOrEqual(1);
      await deleteUser(emily, u.id);
    } finally {
      await emily.close({ stopServer: false });
    }
  });

  it('drops a spare made from an older template instead of handing it out', async () => {
    const emily = await Emily.open({ home: testHome(), spareDatabases: 1 });
    try {
      await emily.spares.settle();
      const [first] = await spares(emily);
      const oid = (name: string) => withAdminClient(emily.cluster.admin(), 'postgres', async (c) => (await c.query('SELECT oid FROM pg_database WHERE datname = $1', [name])).rows[0]?.oid);
      const staleOid = await oid(first!.datname);
      await withAdminClient(emily.cluster.admin(), 'postgres', (c) => c.query(`COMMENT ON DATABASE ${first!.datname} IS 'emily schema 0 old'`));
      const u = await createUser(emily, 'not from a stale spare');
      expect(await oid(u.dbName)).not.toBe(staleOid); // a claimed spare keeps its oid when renamed
      emily.spares.kick();
      await emily.spares.settle();
      expect((await spares(emily)).map((s) => s.datname)).not.toContain(first!.datname); // replaced
      await deleteUser(emily, u.id);
    } finally {
      await emily.close({ stopServer: false });
    }
  });

  it("leaves another process's spare alone while it is being made, and never hands out or keeps a spare a failed drop left invalid", async () => {
    const emily = await Emily.open({ home: testHome(), spareDatabases: 1 });
    const admin = emily.cluster.admin();
    const oid = (name: string) => withAdminClient(admin, 'postgres', async (c) => (await c.query('SELECT oid FROM pg_database WHERE datname = $1', [name])).rows[0]?.oid);
    try {
      await emily.spares.settle();
      // Another process is making a spare: created, not yet marked, its replenish lock held.
      const making = 'emily_spare_0000000making';
      await withAdminClient(admin, 'postgres', async (other) => {
        await other.query('SELECT pg_advisory_lock(7242100003)');
        await other.query(`CREATE DATABASE ${making} TEMPLATE emily_template`);
        expect(await replenishSpares(admin, 3)).toBe(0); // left to the process that holds the lock
        expect(await oid(making)).toBeDefined();
        await other.query('SELECT pg_advisory_unlock(7242100003)');
      });
      // That process died before marking it: now it is debris, and goes.
      await replenishSpares(admin, 1);
      expect(await oid(making)).toBeUndefined();

      // A spare marked current but invalid (what a DROP DATABASE that failed half-way leaves).
      await replenishSpares(admin, 1);
      const [broken] = await spares(emily);
      await withAdminClient(admin, 'postgres', (c) => c.query('UPDATE pg_database SET datconnlimit = -2 WHERE datname = $1', [broken!.datname]));
      const brokenOid = await oid(broken!.datname);
      const u = await createUser(emily, 'not from an invalid spare');
      expect(await oid(u.dbName)).not.toBe(brokenOid);
      await emily.withUser(u.id, (c) => c.query('SELECT 1'));
      await emily.spares.settle(); // the replenish the sign-up started
      await replenishSpares(admin, 1);
      expect((await spares(emily)).map((x) => x.datname)).not.toContain(broken!.datname);
      await deleteUser(emily, u.id);
    } finally {
      await emily.spares.settle();
      await emily.close({ stopServer: false });
    }
  });
});
