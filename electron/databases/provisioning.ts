import type pg from 'pg';
import type { ClusterSecrets } from '../cluster/secrets.js';
import { rolePassword } from '../cluster/secrets.js';
import { scramVerifier } from '../cluster/scram.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { newUserId, quoteIdent, TEMPLATE_DATABASE, TEMPLATE_OWNER_ROLE, userDatabaseName, userRoleName } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import type { Catalog, UserRecord } from './catalog.js';
import type { ServerDirectory } from './servers.js';
import { claimSpare } from './spares.js';

export interface ProvisionDeps {
  catalog: Catalog;
  servers: ServerDirectory;
  secrets: ClusterSecrets;
  /** Pre-made clones of the template; provisioning claims one when it can. */
  spares?: { kick(server?: string): void };
}

export function validateDisplayName(name: unknown): string {
  if (typeof name !== 'string') throw new EmilyError('BAD_INPUT', 'a profile name is required');
  const trimmed = name.normalize('NFC').trim();
  if (trimmed.length === 0) throw new EmilyError('BAD_INPUT', 'a profile name cannot be empty');
  if ([...trimmed].length > 200) throw new EmilyError('BAD_INPUT', 'a profile name can be at most 200 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new EmilyError('BAD_INPUT', 'a profile name cannot contain control characters');
  return trimmed;
}

export interface ProvisionOptions {
  server?: string;
  id?: string;
  /** Written in the catalog transaction that makes the user ready (server mode: the account). */
  alongside?: (catalog: pg.ClientBase, userId: string) => Promise<void>;
}

/**
 * Creates a user: catalog row (status provisioning), LOGIN role, database cloned from the
 * template and handed to the role, CONNECT revoked from PUBLIC. Any failure removes all of
 * it again, so nothing is half-created.
 */
export async function provisionUser(deps: ProvisionDeps, displayName: unknown, opts: ProvisionOptions = {}): Promise<UserRecord> {
  const name = validateDisplayName(displayName);
  const server = opts.server ?? deps.servers.primary?.() ?? deps.servers.names()[0]!;
  const id = opts.id ?? newUserId();
  const dbName = userDatabaseName(id);
  const roleName = userRoleName(id);
  const admin = deps.servers.admin(server);
  await deps.servers.ready?.(server);
  await deps.catalog.insert({ id, displayName: name, dbName, roleName, server });
  // Only what this call created is removed on failure.
  const made = { role: false, database: false };
  try {
    await withAdminClient(admin, 'postgres', async (c) => {
      await c.query(`CREATE ROLE ${quoteIdent(roleName)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${c.escapeLiteral(scramVerifier(rolePassword(deps.secrets, roleName)))}`);
      made.role = true;
      // A spare renamed to the user's name is ours from that moment, even if a later step fails.
      const claimed = deps.spares ? await claimSpare(c, dbName, () => (made.database = true)) : false;
      if (claimed) await c.query(`ALTER DATABASE ${quoteIdent(dbName)} OWNER TO ${quoteIdent(roleName)}`);
      else await createFromTemplate(c, dbName, roleName);
      made.database = true;
      await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(dbName)} FROM PUBLIC`);
    });
    const version = await withAdminClient(admin, dbName, async (c) => {
      await c.query('BEGIN');
      await c.query(`REASSIGN OWNED BY ${TEMPLATE_OWNER_ROLE} TO ${quoteIdent(roleName)}`);
      await c.query(`DROP OWNED BY ${TEMPLATE_OWNER_ROLE}`);
      await c.query('COMMIT');
      const v = await c.query<{ v: number | null }>('SELECT max(id) AS v FROM emily_migrations');
      return v.rows[0]?.v ?? 0;
    });
    const alongside = opts.alongside;
    await deps.catalog.markReady(id, version, alongside && ((c) => alongside(c, id)));
    deps.spares?.kick(server);
    return await deps.catalog.get(id);
  } catch (e) {
    await withAdminClient(admin, 'postgres', async (c) => {
      if (made.database) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
      if (made.role) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(roleName)}`);
    }).catch(() => undefined);
    await deps.catalog.remove(id).catch(() => undefined);
    throw toEmilyError(e, `could not create the profile "${name}"`);
  }
}

export async function createFromTemplate(c: import('pg').Client, dbName: string, roleName: string): Promise<void> {
  // The template refuses to be copied while a migrator is connected to it; that is brief.
  for (let attempt = 0; ; attempt++) {
    try {
      await c.query(`CREATE DATABASE ${quoteIdent(dbName)} TEMPLATE ${TEMPLATE_DATABASE} OWNER ${quoteIdent(roleName)}`);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '55006' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 50 + attempt * 20));
    }
  }
}

/** Drops a user's database (terminating its sessions) and role; tolerant of either missing. */
export async function dropUserObjects(deps: Pick<ProvisionDeps, 'servers'>, u: { server: string; dbName: string; roleName: string }): Promise<void> {
  await withAdminClient(deps.servers.admin(u.server), 'postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(u.dbName)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(u.roleName)}`);
  });
}
