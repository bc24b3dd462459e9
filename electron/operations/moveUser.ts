import type { Emily } from '../core/emily.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { quoteIdent } from '../core/ids.js';
import { withAdminClient } from '../databases/adminClient.js';
import { loadMigrations, migrateDatabase } from '../databases/migrations.js';
import { compareFingerprints, compareTables, copyMissingIndexes, copySequences, createTargetDatabase, fingerprints } from '../databases/moveCopy.js';
import { moveLock } from '../databases/moveLock.js';
import { freezeRole, thawRole } from '../databases/roleFreeze.js';
import { assertServerName } from '../databases/serverConfig.js';
import {
  assertRoomForMove,
  checkLogicalReplication,
  createPublication,
  createSubscription,
  currentLsn,
  dropSlot,
  dropSourceObjects,
  dropTableSyncSlots,
  dropSubscription,
  moveObjectName,
  waitCaughtUp,
  waitSynced,
} from '../databases/replication.js';

export type MoveStep = 'prepared' | 'subscribed' | 'synced' | 'frozen' | 'verified' | 'switched';
const STEPS: MoveStep[] = ['prepared', 'subscribed', 'synced', 'frozen', 'verified', 'switched'];
/** Advisory lock class (on the target server) around counting its moves and adding one. */
const MOVE_TARGET_LOCK = 724210003;

export interface MoveOptions {
  progress?: (msg: string) => void;
  /** Runs at each step (tests inject faults here). */
  at?: (step: MoveStep) => Promise<void>;
  syncTimeoutMs?: number;
  /** How long the switch waits for this process's running queries of the user (default 10 s). */
  drainMs?: number;
  /**
   * Cancels the move (Ctrl-C): up to the switch it is undone as a failure would be, the user
   * thawed and the copy removed; once the catalog has switched, it finishes its cleanup.
   */
  signal?: AbortSignal;
}

export interface MoveReport {
  userId: string;
  from: string;
  to: string;
  tables: { table: string; rows: number }[];
  indexesCopied: string[];
  sequences: number;
  /** How long the user's connections were held (the only time they had to wait). */
  unavailableMs: number;
  totalMs: number;
}

/**
 * Moves one user's database to another server while everyone, the user included, keeps
 * working: the target database is made from the template, filled by logical replication
 * (initial copy, then the writes made meanwhile), and only for the switch are the user's
 * connections held: the source role stops logging in, the copy catches up to the last
 * source write, sequences are carried over, every table is compared, and the catalog row
 * changes server in one statement. Before that statement any failure leaves the user on
 * the source and removes the copy; after it, only cleanup of the old side remains (doctor
 * finishes it if we die).
 */
export async function moveUser(emily: Emily, userId: string, to: string, opts: MoveOptions = {}): Promise<MoveReport> {
  const started = performance.now();
  const say = opts.progress ?? (() => undefined);
  const progress = (msg: string) => say(`${msg} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const notCancelled = () => {
    if (opts.signal?.aborted) throw new EmilyError('CANCELLED', 'the move was cancelled');
  };
  const at = async (step: MoveStep) => {
    if (process.env.EMILY_MOVE_TRACE) progress(`step ${step}`);
    await opts.at?.(step);
    await pauseForTests(step, progress);
    if (step !== 'switched') notCancelled();
  };
  const user = await emily.catalog.get(userId);
  const target = assertServerName(to);
  const targetAdmin = emily.servers.admin(target);
  if (user.status !== 'ready') throw new EmilyError('CONFLICT', `"${user.displayName}" is ${user.status}, not ready; run "emily doctor --repair" if that stays so`);
  if (user.server === target) throw new EmilyError('CONFLICT', `"${user.displayName}" is already on server "${target}"`);
  const from = user.server;
  const sourceAdmin = emily.servers.admin(from);
  await emily.servers.ready?.(from);
  await emily.servers.ready?.(target);
  const lock = await moveLock(emily.primaryAdmin(), user.id);
  try {
    // Read again under the lock: a delete or another move may have finished meanwhile.
    const locked = await emily.catalog.get(user.id);
    if (locked.status !== 'ready' || locked.server !== user.server) {
      throw new EmilyError('CONFLICT', `"${user.displayName}" changed while the move was starting (now ${locked.status} on "${locked.server}"); nothing was moved`);
    }
  } catch (e) {
    await lock.release();
    throw e;
  }
  let switched = false;
  let frozen = false;
  /** The switch's outcome is unknown: touch nothing, doctor decides from the catalog later. */
  let uncertain = false;
  try {
    await checkLogicalReplication(sourceAdmin, from);
    // Early, before anything is made; checked again under the target's lock below.
    await withAdminClient(targetAdmin, 'postgres', (c) => assertRoomForMove(c, target));
    // Debris of an earlier failed attempt for this user would collide with the new copy.
    await repairMoveLeftoversFor(emily, user.id);
    const migrated = await withAdminClient(sourceAdmin, user.dbName, (c) => migrateDatabase(c, loadMigrations('user'), { ownerRole: user.roleName, label: `the database of "${user.displayName}"` }));
    if (migrated.applied.length) await emily.catalog.update(user.id, { schemaVersion: migrated.to });

    progress(`creating the database on server "${target}"`);
    await createTargetDatabase(targetAdmin, emily.secrets, user);
    const tables = await withAdminClient(sourceAdmin, user.dbName, (s) => withAdminClient(targetAdmin, user.dbName, (t) => compareTables(s, t)));
    await at('prepared');

    // Checked and taken under one lock on the target, so moves starting together count each other.
    await withAdminClient(targetAdmin, 'postgres', async (c) => {
      await c.query('SELECT pg_advisory_lock($1, 1)', [MOVE_TARGET_LOCK]);
      try {
        await assertRoomForMove(c, target);
        const password = await createPublication(sourceAdmin, user.dbName, user.id);
        await createSubscription(targetAdmin, user.dbName, sourceAdmin, user.dbName, user.id, password);
      } finally {
        await c.query('SELECT pg_advisory_unlock($1, 1)', [MOVE_TARGET_LOCK]).catch(() => undefined);
      }
    });
    await at('subscribed');
    await waitSynced(targetAdmin, user.dbName, user.id, tables.length, { timeoutMs: opts.syncTimeoutMs ?? 30 * 60_000, progress, signal: opts.signal });
    progress('copy done; building the indexes the app made at run time');
    const indexesCopied = await withAdminClient(sourceAdmin, user.dbName, (s) => withAdminClient(targetAdmin, user.dbName, (t) => copyMissingIndexes(s, t)));
    await at('synced');

    notCancelled();
    progress('switching: holding the profile\'s connections');
    const heldAt = performance.now();
    // This process's callers wait at the gate; other processes see 'moving' and are told to retry.
    const release = await emily.users.hold(user.id, opts.drainMs);
    let report: Omit<MoveReport, 'totalMs'>;
    try {
      frozen = true;
      const marked = await emily.catalog.with((c) =>
        c.query("UPDATE users SET status = 'moving', status_changed_at = now() WHERE id = $1 AND server = $2 AND status = 'ready'", [user.id, from]),
      );
      if (marked.rowCount !== 1) throw new EmilyError('CONFLICT', 'the profile was deleted or changed during the move; nothing was switched');
      await freezeRole(sourceAdmin, user.roleName);
      await at('frozen');
      await waitCaughtUp(sourceAdmin, user.id, await currentLsn(sourceAdmin), 60_000);
      if (process.env.EMILY_MOVE_TRACE) progress('caught up');
      const counts = await withAdminClient(targetAdmin, user.dbName, async (t) => {
        await t.query(`ALTER SUBSCRIPTION ${quoteIdent(moveObjectName(user.id))} DISABLE`);
        return withAdminClient(sourceAdmin, user.dbName, async (s) => {
          const sequences = await copySequences(s, t);
          const [a, b] = await Promise.all([fingerprints(s, tables), fingerprints(t, tables)]);
          const diffs = compareFingerprints(a, b);
          if (diffs.length) throw new EmilyError('DATABASE_ERROR', `the copy on "${target}" does not match the original (${diffs.slice(0, 3).join('; ')}); nothing was switched`);
          return { sequences, tables: a.map((f) => ({ table: f.table, rows: f.rows })) };
        });
      });
      await at('verified');
      try {
        const flipped = await emily.catalog.with((c) =>
          c.query("UPDATE users SET server = $2, status = 'ready', status_changed_at = now() WHERE id = $1 AND server = $3 AND status = 'moving'", [user.id, target, from]),
        );
        if (flipped.rowCount !== 1) throw new EmilyError('CONFLICT', 'the catalog row changed during the move; nothing was switched');
      } catch (e) {
        // The UPDATE may have committed even though we saw an error: the catalog decides.
        const truth = await catalogServer(emily, user.id);
        if (truth === undefined) {
          uncertain = true;
          throw new EmilyError('CLUSTER_UNAVAILABLE', 'lost the catalog during the switch; "emily doctor --repair" finishes or undoes the move once the catalog is back', { cause: e });
        }
        if (truth !== target) throw e;
      }
      switched = true;
      report = { userId: user.id, from, to: target, tables: counts.tables, indexesCopied, sequences: counts.sequences, unavailableMs: Math.round(performance.now() - heldAt) };
    } finally {
      if (!switched && !uncertain) await unfreeze(emily, user.id, user.roleName, sourceAdmin).catch(() => undefined);
      release();
    }
    await at('switched');
    progress(`switched to "${target}"; removing the old copy on "${from}"`);
    await withAdminClient(targetAdmin, user.dbName, (c) => dropSubscription(c, moveObjectName(user.id)));
    await withAdminClient(sourceAdmin, 'postgres', async (c) => {
      await dropSlot(c, moveObjectName(user.id));
      await dropTableSyncSlots(c, user.dbName);
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(user.dbName)} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${quoteIdent(user.roleName)}`);
    });
    await dropSourceObjects(sourceAdmin, user.id, undefined);
    return { ...report, totalMs: Math.round(performance.now() - started) };
  } catch (e) {
    if (!switched && !uncertain) {
      if (frozen) await unfreeze(emily, user.id, user.roleName, sourceAdmin).catch(() => undefined);
      progress(`move failed; removing the partial copy on "${target}"`);
      await discardTarget(emily, user.id, user.dbName, user.roleName, target).catch(() => undefined);
      await dropSourceObjects(sourceAdmin, user.id, user.dbName).catch(() => undefined);
    }
    const err = toEmilyError(e);
    const what = switched ? `"${user.displayName}" now lives on "${target}", but cleaning up "${from}" failed (run "emily doctor --repair")` : `moving "${user.displayName}" to "${target}" failed; they stay on "${from}"`;
    // A lost connection says little by itself: name the server that went away, if it did.
    if (!switched && !uncertain && err.code !== 'CANCELLED' && !(await answers(targetAdmin))) {
      throw new EmilyError(
        'CLUSTER_UNAVAILABLE',
        `${what}: server "${target}" stopped answering during the move (its server log says why: a full disk, say); the partial copy there is removed by "emily doctor --repair" once it is back`,
        { cause: e },
      );
    }
    throw new EmilyError(err.code, `${what}: ${err.message}`, { cause: e });
  } finally {
    await lock.release();
  }
}

async function answers(admin: import('../cluster/cluster.js').AdminConnection): Promise<boolean> {
  return withAdminClient(admin, 'postgres', (c) => c.query('SELECT 1')).then(
    () => true,
    () => false,
  );
}

async function catalogServer(emily: Emily, userId: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return (await emily.catalog.get(userId)).server;
    } catch {
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  return undefined;
}

async function unfreeze(emily: Emily, userId: string, roleName: string, admin: import('../cluster/cluster.js').AdminConnection): Promise<void> {
  await thawRole(admin, emily.cluster.secrets, roleName);
  await emily.catalog.with((c) => c.query("UPDATE users SET status = 'ready', status_changed_at = now() WHERE id = $1 AND status = 'moving'", [userId]));
}

async function discardTarget(emily: Emily, userId: string, dbName: string, roleName: string, target: string): Promise<void> {
  const admin = emily.servers.admin(target);
  const exists = await withAdminClient(admin, 'postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount === 1);
  if (exists) await withAdminClient(admin, dbName, (c) => dropSubscription(c, moveObjectName(userId)));
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(roleName)}`);
  });
}

/** Clears an earlier attempt's leftovers for this user only (we hold its move lock; doctor does all users). */
async function repairMoveLeftoversFor(emily: Emily, userId: string): Promise<void> {
  const user = await emily.catalog.get(userId);
  for (const server of emily.servers.names()) {
    if (server === user.server) continue;
    const st = emily.servers.state?.(server);
    if (st && st.status !== 'ready') continue;
    await discardTarget(emily, userId, user.dbName, user.roleName, server);
    await dropSourceObjects(emily.servers.admin(server), userId, undefined);
  }
  await dropSourceObjects(emily.servers.admin(user.server), userId, user.dbName);
}

/** EMILY_MOVE_PAUSE_AT=<step>: the crash tests stop a mover there and kill it. */
async function pauseForTests(step: MoveStep, progress: (msg: string) => void): Promise<void> {
  const want = process.env.EMILY_MOVE_PAUSE_AT;
  if (!want || want !== step || !STEPS.includes(want as MoveStep)) return;
  progress(`paused at ${step} (EMILY_MOVE_PAUSE_AT)`);
  await new Promise(() => setInterval(() => undefined, 1 << 30));
}
