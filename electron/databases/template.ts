import type pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { TEMPLATE_DATABASE, TEMPLATE_OWNER_ROLE } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import { loadMigrations, migrateDatabase, type MigrateResult } from './migrations.js';

/**
 * The template every user database is cloned from: pgvector installed and the full schema
 * migrated, its objects owned by a NOLOGIN role that provisioning hands over to the user.
 * Provisioning is then one CREATE DATABASE … TEMPLATE.
 */
export async function ensureTemplate(admin: AdminConnection): Promise<MigrateResult> {
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(TAKE_TURNS);
    await ignoreDuplicate(c.query(`CREATE ROLE ${TEMPLATE_OWNER_ROLE} NOLOGIN`));
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DATABASE]);
    if (exists.rowCount === 0) {
      await ignoreDuplicate(c.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`));
      await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${TEMPLATE_DATABASE} FROM PUBLIC`);
    }
  });
  const result = await withAdminClient(admin, TEMPLATE_DATABASE, async (c) => {
    await c.query(TAKE_TURNS);
    await installVector(c);
    await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${TEMPLATE_OWNER_ROLE}`);
    return migrateDatabase(c, loadMigrations('user'), { ownerRole: TEMPLATE_OWNER_ROLE, label: 'template' });
  });
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(TAKE_TURNS);
    await c.query(`ALTER DATABASE ${TEMPLATE_DATABASE} IS_TEMPLATE true`);
  });
  return result;
}

/**
 * Processes opening Emily at once (tests, CLI + app) would otherwise race on GRANT /
 * ALTER DATABASE ("tuple concurrently updated"); the lock goes with the connection.
 */
const TAKE_TURNS = "SELECT pg_advisory_lock(hashtext('emily.template.ensure'))";

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
