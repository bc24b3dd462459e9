import type { AdminConnection } from '../cluster/cluster.js';
import { EmilyError } from '../core/errors.js';
import { withAdminClient } from './adminClient.js';
import type { ServerFacts } from './servers.js';
import { ensureTemplate, withSetupLock } from './template.js';

/**
 * Makes a server ready to hold user databases: we must be a superuser there (databases,
 * roles and the untrusted vector extension need it), pgvector must be installed, user roles
 * may connect to nothing but their own database, and the template is current.
 */
export async function prepareServer(name: string, admin: AdminConnection): Promise<ServerFacts> {
  const facts = await withAdminClient(admin, 'postgres', async (c) => {
    const su = await c.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!su.rows[0]?.rolsuper) throw new EmilyError('FORBIDDEN', `server "${name}": the user in its URL is not a superuser; Emily needs one there to create databases, roles and the vector extension`);
    const ext = await c.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
    if (ext.rowCount !== 1) throw new EmilyError('EXTENSION_MISSING', `server "${name}" has no pgvector; install pgvector 0.8 for its PostgreSQL and try again`);
    const s = await c.query<{ name: string; setting: string }>("SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'max_connections', 'wal_level')");
    const get = (n: string) => s.rows.find((r) => r.name === n)?.setting ?? '';
    return { version: get('server_version'), maxConnections: Number(get('max_connections')), walLevel: get('wal_level') };
  });
  const major = Number(facts.version.split('.')[0]);
  if (!(major >= 15)) throw new EmilyError('DATABASE_ERROR', `server "${name}" runs PostgreSQL ${facts.version}; Emily needs 15 or newer`);
  await withSetupLock(admin, async () => {
    // Under the lock and only when needed: concurrent GRANT/REVOKE on one database row fails ("tuple concurrently updated").
    await withAdminClient(admin, 'postgres', async (c) => {
      for (const db of ['postgres', 'template1']) {
        const open = await c.query<{ ok: boolean }>("SELECT has_database_privilege('public', $1, 'CONNECT') OR has_database_privilege('public', $1, 'TEMPORARY') AS ok", [db]);
        if (open.rows[0]!.ok) await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC`);
      }
    });
    await ensureTemplate(admin);
  });
  return facts;
}
