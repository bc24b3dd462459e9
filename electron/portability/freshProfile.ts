import { rolePassword } from '../cluster/secrets.js';
import { toEmilyError } from '../core/errors.js';
import type { Emily } from '../core/emily.js';
import { newUserId, quoteIdent, userDatabaseName, userRoleName } from '../core/ids.js';
import { withAdminClient } from '../databases/adminClient.js';
import type { UserRecord } from '../databases/catalog.js';
import { dropUserObjects, validateDisplayName } from '../databases/provisioning.js';
import { installVector } from '../databases/template.js';
import { placeAndCreate } from '../databases/placement.js';
import { scramVerifier } from '../cluster/scram.js';

export interface FreshProfile {
  user: UserRecord;
  /** Drops the database, the role and the catalog row again (tolerates each being gone). */
  discard: () => Promise<void>;
  /** Stops the heartbeat that tells doctor the profile is still being filled (call when done). */
  release: () => void;
}

/**
 * How often a profile being filled refreshes its row. doctor --repair takes a 'provisioning'
 * row untouched for 2 minutes for a crash's debris; a long import touched nothing, so doctor
 * dropped a live import's database under it.
 */
export const PROVISIONING_HEARTBEAT_MS = 30_000;

/**
 * A profile with an EMPTY database (no schema: the dump brings it), owned by its own
 * non-superuser login role, with only `vector` installed by the superuser. The catalog row
 * stays 'provisioning' until the caller has verified the contents, so a crash leaves
 * debris that doctor recognises, never a half profile that looks live.
 */
export async function createEmptyProfile(emily: Emily, displayName: unknown, opts: { server?: string; heartbeatMs?: number } = {}): Promise<FreshProfile> {
  const name = validateDisplayName(displayName);
  const fresh = await placeAndCreate(emily.catalog, emily.servers, opts.server, (server) => createEmptyProfileOn(emily, name, server));
  const beat = setInterval(() => void emily.catalog.stillWorking(fresh.user.id).catch(() => undefined), opts.heartbeatMs ?? PROVISIONING_HEARTBEAT_MS);
  beat.unref();
  const release = () => clearInterval(beat);
  return { user: fresh.user, release, discard: () => (release(), fresh.discard()) };
}

async function createEmptyProfileOn(emily: Emily, name: string, server: string): Promise<Omit<FreshProfile, 'release'>> {
  const id = newUserId();
  const dbName = userDatabaseName(id);
  const roleName = userRoleName(id);
  const admin = emily.servers.admin(server);
  await emily.catalog.insert({ id, displayName: name, dbName, roleName, server });
  const discard = async () => {
    await emily.users.forget(id).catch(() => undefined);
    await dropUserObjects(emily, { server, dbName, roleName });
    await emily.catalog.remove(id);
  };
  try {
    await withAdminClient(admin, 'postgres', async (c) => {
      await c.query(`CREATE ROLE ${quoteIdent(roleName)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${c.escapeLiteral(scramVerifier(rolePassword(emily.cluster.secrets, roleName)))}`);
      await c.query(`CREATE DATABASE ${quoteIdent(dbName)} TEMPLATE template0 ENCODING 'UTF8' OWNER ${quoteIdent(roleName)}`);
      await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(dbName)} FROM PUBLIC`);
    });
    await withAdminClient(admin, dbName, (c) => installVector(c));
    return { user: await emily.catalog.get(id), discard };
  } catch (e) {
    await discard().catch(() => undefined);
    throw toEmilyError(e, `could not create a database for "${name}"`);
  }
}
