import type { Emily } from '../core/emily.js';
import { toEmilyError } from '../core/errors.js';
import { quoteIdent, userRoleName } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import type { UserRecord } from './catalog.js';
import { moveLock, tryMoveLock } from './moveLock.js';

/**
 * restore --replace swaps a verified copy in under a profile's name; the old database is
 * renamed aside under a name that says which profile and which copy, so a swap a crash
 * interrupted can be finished later (at open, or by doctor --repair).
 */
const ASIDE_RE = /^emily_replaced_([a-z][a-z0-9]{11})_([a-z][a-z0-9]{11})$/;

export function asideName(liveId: string, freshId: string): string {
  return `emily_replaced_${liveId}_${freshId}`;
}

/** After the swap committed: the copy's objects to the profile's role, then the old copy and the copy's own role go. Idempotent. */
export async function finishSwap(emily: Emily, live: UserRecord, freshId: string, aside: string): Promise<void> {
  const admin = emily.servers.admin(live.server);
  const fresh = await emily.catalog.get(freshId).catch(() => undefined);
  const freshRole = fresh?.roleName ?? userRoleName(freshId);
  await withAdminClient(admin, live.dbName, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [freshRole]);
    if (exists.rowCount) await c.query(`REASSIGN OWNED BY ${quoteIdent(freshRole)} TO ${quoteIdent(live.roleName)}`);
  });
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(aside)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(freshRole)}`);
  });
  if (fresh) await emily.catalog.remove(fresh.id);
  await emily.catalog.update(live.id, fresh ? { status: 'ready', schemaVersion: fresh.schemaVersion } : { status: 'ready' });
}

/**
 * Finishes restores whose swap committed but whose clean-up a crash interrupted (found by
 * their renamed-aside databases); answers which profiles it finished. A swap still running
 * holds the profile's move lock and is left to finish itself.
 */
export async function finishInterruptedRestores(emily: Emily): Promise<string[]> {
  const done: string[] = [];
  for (const server of emily.servers.names()) {
    const admin = emily.servers.admin(server);
    const names = await withAdminClient(admin, 'postgres', async (c) =>
      (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_replaced\\_%'")).rows.map((r) => r.datname),
    ).catch(() => [] as string[]); // an unreachable server is reported by doctor's server check
    for (const name of names) {
      const m = ASIDE_RE.exec(name);
      if (!m) continue;
      const live = await emily.catalog.get(m[1]!).catch(() => undefined);
      if (!live || live.server !== server) continue;
      const lock = await tryMoveLock(emily.primaryAdmin(), live.id);
      if (!lock) continue;
      try {
        // Finished by its own process between the listing and the lock?
        const still = await withAdminClient(admin, 'postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
        if (!still) continue;
        await finishSwap(emily, live, m[2]!, name);
        done.push(live.id);
      } finally {
        await lock.release();
      }
    }
  }
  return done;
}

/**
 * Puts a verified copy (a profile of its own, on the live profile's server) in place of the
 * live profile: the live database is renamed aside, the copy takes its name and role, and
 * the old one is dropped last.
 */
export async function swapInto(emily: Emily, live: UserRecord, fresh: UserRecord): Promise<void> {
  const aside = asideName(live.id, fresh.id);
  // The move lock keeps "emily move" and the open-time repair of moves away from the swap.
  const lock = await moveLock(emily.primaryAdmin(), live.id);
  try {
    await swap(emily, live, fresh, aside);
  } finally {
    await lock.release();
  }
}

async function swap(emily: Emily, live: UserRecord, fresh: UserRecord, aside: string): Promise<void> {
  const admin = emily.servers.admin(live.server);
  await emily.catalog.update(live.id, { status: 'moving' });
  await emily.users.forget(live.id);
  await emily.users.forget(fresh.id);
  try {
    await withAdminClient(admin, 'postgres', async (c) => {
      for (const db of [live.dbName, fresh.dbName]) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
      // Both renames and the owner in one transaction: a crash leaves either the old
      // database or the restored one under the profile's name, never neither.
      await c.query('BEGIN');
      try {
        await c.query(`ALTER DATABASE ${quoteIdent(live.dbName)} RENAME TO ${quoteIdent(aside)}`);
        await c.query(`ALTER DATABASE ${quoteIdent(fresh.dbName)} RENAME TO ${quoteIdent(live.dbName)}`);
        await c.query(`ALTER DATABASE ${quoteIdent(live.dbName)} OWNER TO ${quoteIdent(live.roleName)}`);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  } catch (e) {
    await emily.catalog.update(live.id, { status: 'ready' });
    throw toEmilyError(e, 'could not put the new copy in place; the live profile is unchanged');
  }
  await finishSwap(emily, live, fresh.id, aside);
}
