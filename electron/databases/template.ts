import type pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { TEMPLATE_DATABASE, TEMPLATE_OWNER_ROLE } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import { latestVersion, loadMigrations, migrateDatabase, type MigrateResult } from './migrations.js';

/**
 * The template every user database is cloned from: pgvector installed and the full schema
 * migrated, its objects owned by a NOLOGIN role that provisioning hands over to the user.
 * Provisioning is then one CREATE DATABASE … TEMPLATE.
 */
/**
 * The template's version, kept as its comment, so an up-to-date check needs no connection
 * to the template (which would block concurrent CREATE DATABASE … TEMPLATE).
 */
export function templateMarker(): string {
  const migrations = loadMigrations('user');
  return `emily schema ${latestVersion(migrations)} ${migrations.map((m) => m.checksum.slice(0, 8)).join('')}`;
}

export async function ensureTemplate(admin: AdminConnection): Promise<MigrateResult | null> {
  const migrations = loadMigrations('user');
  const marker = templateMarker();
  const current = await withAdminClient(admin, 'postgres', async (c) => {
    const r = await c.query<{ d: string | null }>("SELECT shobj_description(oid, 'pg_database') AS d FROM pg_database WHERE datname = $1", [TEMPLATE_DATABASE]);
    return r.rows[0]?.d ?? null;
  });
  if (current === marker) return null;
  await withAdminClient(admin, 'postgres', async (c) => {
    await ignoreDuplicate(c.query(`CREATE ROLE ${TEMPLATE_OWNER_ROLE} NOLOGIN`));
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DATABASE]);
    if (exists.rowCount === 0) {
      await ignoreDuplicate(c.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`));
      await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${TEMPLATE_DATABASE} FROM PUBLIC`);
    }
  });
  const result = await withAdminClient(admin, TEMPLATE_DATABASE, async (c) => {
    await installVector(c);
    await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${TEMPLATE_OWNER_ROLE}`);
    return migrateDatabase(c, migrations, { ownerRole: TEMPLATE_OWNER_ROLE, label: 'template' });
  });
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(`ALTER DATABASE ${TEMPLATE_DATABASE} IS_TEMPLATE true`);
    await c.query(`COMMENT ON DATABASE ${TEMPLATE_DATABASE} IS ${c.escapeLiteral(marker)}`);
  });
  return result;
}

/**
 * Serialises cluster setup (catalog, template) between processes that open the same
 * server at once: the desktop app, CLI commands, test workers.
 */
export async function withSetupLock<T>(admin: AdminConnection, fn: () => Promise<T>): Promise<T> {
  return withAdminClient(admin, 'postgres', async (c) => {
    await c.query('SELECT pg_advisory_lock(7242100001)');
    try {
      return await fn();
    } finally {
      await c.query('SELECT pg_advisory_unlock(7242100001)').catch(() => undefined);
    }
  });
}

/** The seed's one-line fix for "Cold Start fragmentation". Needs a superuser connection. */
export async function installVector(c: pg.ClientBase): Promise<void> {
  await c.query('CREATE EXTENSION IF NOT EXISTS vector').catch((e: unknown) => {
    // Two sessions creating it at once: the loser sees a unique violation.
    if ((e as { code?: string }).code !== '23505') throw e;
  });
}

async function ignoreDuplicate(p: Promise<unknown>): Promise<void> {
  await p.catch((e: unknown) => {
    const code = (e as { code?: string }).code;
    if (code !== '42710' && code !== '42P04' && code !== '23505') throw e;
  });
}
