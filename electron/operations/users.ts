import { forgetProfileSecrets } from '../secrets/secretStore.js';
import { EmilyError } from '../core/errors.js';
import { tryMoveLock } from '../databases/moveLock.js';
import { CATALOG_DATABASE } from '../core/ids.js';
import type { Emily } from '../core/emily.js';
import { withAdminClient } from '../databases/adminClient.js';
import type { UserRecord } from '../databases/catalog.js';
import { placeAndCreate } from '../databases/placement.js';
import { dropUserObjects, provisionUser, validateDisplayName, type ProvisionOptions } from '../databases/provisioning.js';

/** Creates a user on the given server, or on the least loaded one (see placement.ts). */
export async function createUser(emily: Emily, displayName: unknown, opts: Pick<ProvisionOptions, 'server' | 'alongside'> = {}): Promise<UserRecord> {
  validateDisplayName(displayName);
  return placeAndCreate(emily.catalog, emily.servers, opts.server, (server) =>
    provisionUser({ catalog: emily.catalog, servers: emily.servers, secrets: emily.cluster.secrets, spares: emily.spares }, displayName, { server, alongside: opts.alongside }),
  );
}

export function listUsers(emily: Emily): Promise<UserRecord[]> {
  return emily.catalog.list();
}

/**
 * Deletes a user: marks the row, closes our pool, terminates their sessions, drops the
 * database and the role, then removes the catalog row. Re-running after a crash finishes
 * the job (every step tolerates what is already gone).
 */
export async function deleteUser(emily: Emily, userId: string): Promise<{ id: string; dropped: { database: string; role: string } }> {
  const asked = await emily.catalog.get(userId);
  // A move or a replace holds this lock from its copy to its switch: a delete in between
  // would fail on the copy's replication, and the switch would then bring the profile back.
  const lock = await tryMoveLock(emily.primaryAdmin(), asked.id);
  if (!lock) throw new EmilyError('BUSY', `"${asked.displayName}" is being moved to another server or replaced; wait for that to finish, then delete it`);
  try {
    // Read again under the lock: a move that just finished changed its server.
    const user = await emily.catalog.get(asked.id);
    if (user.status === 'moving') {
      throw new EmilyError('BUSY', `a move or replace of "${user.displayName}" was interrupted; "emily doctor --repair" finishes or undoes it, then delete the profile`);
    }
    await emily.catalog.update(user.id, { status: 'deleting' });
    await emily.users.forget(user.id);
    await dropUserObjects(emily, user);
    await emily.catalog.remove(user.id);
    // Its API keys live outside the database (never in it): they go too.
    forgetProfileSecrets(emily.home, user.id);
    return { id: user.id, dropped: { database: user.dbName, role: user.roleName } };
  } finally {
    await lock.release();
  }
}

/** What exists on a server for a user, straight from PostgreSQL's own catalogs. */
export async function userFootprint(emily: Emily, user: Pick<UserRecord, 'id' | 'server' | 'dbName' | 'roleName'>): Promise<{ database: boolean; role: boolean; catalogRow: boolean }> {
  const admin = emily.servers.admin(user.server);
  const [database, role] = await withAdminClient(admin, 'postgres', async (c) => [
    (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [user.dbName])).rowCount === 1,
    (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user.roleName])).rowCount === 1,
  ]);
  const catalogRow = await withAdminClient(emily.primaryAdmin(), CATALOG_DATABASE, async (c) => (await c.query('SELECT 1 FROM users WHERE id = $1', [user.id])).rowCount === 1);
  return { database, role, catalogRow };
}
