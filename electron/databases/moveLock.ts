import pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { assertUserId, CATALOG_DATABASE } from '../core/ids.js';
import { pgSsl } from './tls.js';

/**
 * One move (or one repair of a move's leftovers) per user at a time, across processes: a
 * session advisory lock in the catalog database, held for the whole operation. A killed
 * mover's session ends with it, so doctor can tell an interrupted move from a running one.
 */
const LOCK_CLASS = 724210002; // int4: the two-key advisory lock form

export interface MoveLock {
  release(): Promise<void>;
}

export async function tryMoveLock(primary: AdminConnection, userId: string): Promise<MoveLock | null> {
  const client = new pg.Client({ ...primary, ssl: pgSsl(primary.tls), database: CATALOG_DATABASE, application_name: 'emily-move-lock', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, assertUserId(userId)]);
    if (!r.rows[0]!.ok) {
      await client.end().catch(() => undefined);
      return null;
    }
  } catch (e) {
    await client.end().catch(() => undefined);
    throw toEmilyError(e, 'cannot reach the catalog database');
  }
  return { release: () => client.end().catch(() => undefined) };
}

export async function moveLock(primary: AdminConnection, userId: string): Promise<MoveLock> {
  const lock = await tryMoveLock(primary, userId);
  if (!lock) throw new EmilyError('BUSY', `profile ${userId} is being moved (or repaired) by another Emily process; wait for it to finish`);
  return lock;
}

/** Whether a live process holds the user's move lock (c: a connection to the catalog database). */
export async function moveRunning(c: pg.ClientBase, userId: string): Promise<boolean> {
  const r = await c.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                     AND classid = $1::int4::oid AND objid = hashtext($2)::oid AND objsubid = 2) AS held`,
    [LOCK_CLASS, assertUserId(userId)],
  );
  return r.rows[0]!.held;
}
