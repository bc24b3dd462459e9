import { randomBytes } from 'node:crypto';
import type { Emily } from '../core/emily.js';
import { enqueueJob } from '../jobs/queue.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { assertUserId, quoteIdent, userRoleName } from '../core/ids.js';
import type { AdminConnection } from '../cluster/cluster.js';
import { withAdminClient } from './adminClient.js';
import type { UserRecord } from './catalog.js';
import { moveLock, tryMoveLock } from './moveLock.js';
import { freezeRole, thawRole } from './roleFreeze.js';

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
  await thawRole(admin, emily.cluster.secrets, live.roleName);
  await emily.catalog.update(live.id, fresh ? { status: 'ready', schemaVersion: fresh.schemaVersion } : { status: 'ready' });
  // Last: a clean-up tried again must still find the copy's schema version.
  if (fresh) await emily.catalog.remove(fresh.id);
}

/**
 * Finishes restores whose swap committed but whose clean-up a crash interrupted (found by
 * their renamed-aside databases); answers which profiles it finished. A swap still running
 * holds the profile's move lock and is left to finish itself; one that cannot be finished
 * now is left as it is (still 'moving') and does not stop the others.
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
        // The process that swapped it in never queued the local model's vectors for it.
        await emily
          .withUserTransaction(live.id, (c) => enqueueJob(c, 'reembed', { current: true, reason: 'restore' }, { dedupeKey: 'reembed:current' }))
          .catch(() => undefined); // the swap is finished either way; "emily jobs" or a model switch queues it again
      } catch {
        // Left to the next open or doctor --repair; the move repair leaves such a row alone (hasUnfinishedSwap).
      } finally {
        await lock.release();
      }
    }
  }
  return done;
}

/** How keepBackup reaches the frozen profile: as its own role, with the password only the freeze knows. */
export interface FrozenAccess {
  password: string;
}

/** Whether a swap into this profile committed and its clean-up is still to be done (its old database is renamed aside). */
export async function hasUnfinishedSwap(admin: AdminConnection, liveId: string): Promise<boolean> {
  return withAdminClient(admin, 'postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname LIKE $1', [`emily\\_replaced\\_${assertUserId(liveId)}\\_%`])).rowCount! > 0);
}

export interface SwapResult<B> {
  /** What keepBackup made of the profile, frozen: exactly what the copy replaced. */
  previous?: B;
  /** Set when the copy is in place but its clean-up failed; opening Emily again or doctor --repair finishes it. */
  unfinished?: string;
}

/**
 * Puts a verified copy (a profile of its own, on the live profile's server) in place of the
 * live profile: the live database is renamed aside, the copy takes its name and role, and
 * the old one is dropped last. The profile is read again under its move lock, so a move,
 * a deletion or another swap that ran while the copy was made is noticed, not overwritten.
 *
 * keepBackup runs once the profile is frozen ('moving', this process's calls held at its
 * gate, the role's sessions ended in every process and its logins open only to keepBackup,
 * through FrozenAccess), so nothing written
 * meanwhile is in neither the backup nor the copy: it waits, then lands in the copy.
 */
export async function swapInto<B>(emily: Emily, liveId: string, fresh: UserRecord, opts: { keepBackup?: (live: UserRecord, frozen: FrozenAccess) => Promise<B> } = {}): Promise<SwapResult<B>> {
  // The move lock keeps "emily move" and the open-time repair of moves away from the swap.
  const lock = await moveLock(emily.primaryAdmin(), liveId);
  try {
    const live = await emily.catalog.get(liveId);
    if (live.status !== 'ready') throw new EmilyError('BUSY', `the profile "${live.displayName}" became ${live.status} meanwhile; nothing was replaced`);
    if (live.server !== fresh.server) throw new EmilyError('BUSY', `the profile "${live.displayName}" was moved to another server meanwhile; nothing was replaced, try again`);
    const aside = asideName(live.id, fresh.id);
    // This process's new calls wait at the gate, its running ones get a few seconds to end
    // (the freeze then cuts them off); other processes' calls wait on the row's 'moving'.
    const reopen = await emily.users.hold(live.id);
    try {
      const previous = await swap(emily, live, fresh, aside, opts.keepBackup);
      return { ...(previous === undefined ? {} : { previous }), ...(await finishAfterSwap(emily, live, fresh.id, aside)) };
    } finally {
      reopen();
    }
  } finally {
    await lock.release();
  }
}

/** The swap has committed: the profile holds the copy whatever happens now, so a failing clean-up is tried again, then left to recovery. */
async function finishAfterSwap(emily: Emily, live: UserRecord, freshId: string, aside: string): Promise<{ unfinished?: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      await finishSwap(emily, live, freshId, aside);
      return {};
    } catch (e) {
      if (attempt === 3) return { unfinished: `the new copy is in place, but clearing the old one failed (${toEmilyError(e).message}); opening Emily again or "emily doctor --repair" finishes it` };
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

async function swap<B>(emily: Emily, live: UserRecord, fresh: UserRecord, aside: string, keepBackup?: (live: UserRecord, frozen: FrozenAccess) => Promise<B>): Promise<B | undefined> {
  const admin = emily.servers.admin(live.server);
  await emily.catalog.update(live.id, { status: 'moving' });
  let previous: B | undefined;
  try {
    // Other processes too: what they write from here on waits for the swap, then lands in the copy.
    const dumpPassword = randomBytes(24).toString('base64url');
    await freezeRole(admin, live.roleName, { dumpPassword });
    await emily.users.forget(fresh.id);
    previous = await keepBackup?.(live, { password: dumpPassword });
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
    // The renames committed but their answer was lost: the copy is in place, so finish it.
    if (await hasUnfinishedSwap(admin, live.id).catch(() => false)) return previous;
    try {
      await thawRole(admin, emily.cluster.secrets, live.roleName);
      await emily.catalog.update(live.id, { status: 'ready' });
    } catch {
      // Still frozen and 'moving': the repair at the next open (or doctor --repair) thaws it.
    }
    throw toEmilyError(e, 'could not put the new copy in place; the live profile is unchanged');
  }
  return previous;
}
