import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rolePassword } from '../../electron/cluster/secrets.js';
import { EmilyError } from '../../electron/core/errors.js';
import { userDatabaseName, userRoleName } from '../../electron/core/ids.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { loadMigrations } from '../../electron/databases/migrations.js';
import { provisionUser } from '../../electron/databases/provisioning.js';
import { userFootprint } from '../../electron/operations/users.js';
import { useTestEmily } from '../support/testEmily.js';

const t = useTestEmily();

function connectAs(roleOwner: string, database: string): pg.Client {
  const admin = t.emily.cluster.admin();
  const role = userRoleName(roleOwner);
  const client = new pg.Client({ host: admin.host, port: admin.port, user: role, password: rolePassword(t.emily.cluster.secrets, role), database });
  client.on('error', () => undefined);
  return client;
}

describe('provisioning a user database', () => {
  it('creates a database with pgvector and the full schema, owned by the user\'s own role', async () => {
    const u = await t.user('Ana');
    expect(u.schemaVersion).toBe(loadMigrations('user').length);
    await withAdminClient(t.emily.cluster.admin(), u.dbName, async (c) => {
      const ext = await c.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
      expect(ext.rows[0].extversion).toMatch(/^0\.8\./);
      const owners = await c.query<{ owner: string }>("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'");
      expect(owners.rows.map((r) => r.owner)).toEqual([u.roleName]);
      const db = await c.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()');
      expect(db.rows[0].owner).toBe(u.roleName);
    });
    // The user's role can use its database: write and read a memory with a vector.
    await t.emily.withUserTransaction(u.id, async (c) => {
      await c.query("INSERT INTO embedding_models (id, dimensions) VALUES ('test-3', 3)");
      const m = await c.query("INSERT INTO memories (content, kind, source) VALUES ('Ana is the user''s sister', 'fact', 'user-stated') RETURNING id");
      await c.query("INSERT INTO memory_embeddings (memory_id, model_idx, embedding) SELECT $1, idx, '[1,0,0]' FROM embedding_models", [m.rows[0].id]);
    });
    const n = await t.emily.withUser(u.id, (c) => c.query("SELECT embedding <=> '[1,0,0]' AS d FROM memory_embeddings"));
    expect(n.rows[0].d).toBe(0);
  });

  it("isolates users at the server: A's role cannot connect to B's database, nor to the catalog", async () => {
    const a = await t.user('A');
    const b = await t.user('B');
    const own = connectAs(a.id, a.dbName);
    await own.connect();
    await own.end();
    for (const db of [b.dbName, 'emily_catalog', 'postgres', 'emily_template']) {
      const other = connectAs(a.id, db);
      await expect(other.connect()).rejects.toMatchObject({ code: '42501' });
    }
    // And PUBLIC has no CONNECT on B's database.
    await withAdminClient(t.emily.cluster.admin(), 'postgres', async (c) => {
      const r = await c.query("SELECT has_database_privilege('public', $1, 'CONNECT') AS can", [b.dbName]);
      expect(r.rows[0].can).toBe(false);
    });
  });

  it('stores names with quotes or SQL as data, never as identifiers', async () => {
    const name = `Robert'); DROP DATABASE emily_catalog; --"`;
    const u = await t.user(name);
    expect(u.displayName).toBe(name);
    expect(u.dbName).toBe(userDatabaseName(u.id));
    expect((await t.emily.catalog.get(u.id)).displayName).toBe(name);
  });

  it('rejects empty and control-character names without creating anything', async () => {
    const before = await t.emily.catalog.list({ includeAll: true });
    for (const bad of ['', '   ', 'a\u0000b', 'x'.repeat(201)]) {
      await expect(t.user(bad)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
    expect((await t.emily.catalog.list({ includeAll: true })).length).toBe(before.length);
  });

  it('leaves no role, database or catalog row when provisioning fails half-way', async () => {
    const id = 'zzfailtest001'.slice(0, 12);
    const dbName = userDatabaseName(id);
    // A database already holding the name makes CREATE DATABASE fail after the role exists.
    await withAdminClient(t.emily.cluster.admin(), 'postgres', (c) => c.query(`CREATE DATABASE ${dbName}`));
    try {
      const err = await provisionUser({ catalog: t.emily.catalog, servers: t.emily.servers, secrets: t.emily.cluster.secrets }, 'doomed', { id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EmilyError);
      expect((err as EmilyError).code).toBe('CONFLICT');
      const left = await userFootprint(t.emily, { id, server: 'local', dbName, roleName: userRoleName(id) });
      expect(left).toEqual({ database: true, role: false, catalogRow: false }); // the pre-existing database is not ours to drop
    } finally {
      await withAdminClient(t.emily.cluster.admin(), 'postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${dbName}`));
    }
  });
});
