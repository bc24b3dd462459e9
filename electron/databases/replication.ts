import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { scramVerifier } from '../cluster/scram.js';
import { EmilyError } from '../core/errors.js';
import { assertUserId, quoteIdent } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';

/**
 * The logical-replication pieces of a move, all named emily_mv_<user id> so that doctor
 * can find and remove them after a crash: on the source server a LOGIN REPLICATION role
 * with a one-time password (the target never gets the superuser's credentials), a
 * publication in the user's database and the replication slot; on the target a
 * subscription in the new database.
 */
export function moveObjectName(userId: string): string {
  return `emily_mv_${assertUserId(userId)}`;
}

export async function checkLogicalReplication(admin: AdminConnection, server: string): Promise<void> {
  await withAdminClient(admin, 'postgres', async (c) => {
    const s = await c.query<{ name: string; setting: string; pending_restart: boolean }>(
      "SELECT name, setting, pending_restart FROM pg_settings WHERE name IN ('wal_level', 'max_replication_slots', 'max_wal_senders')",
    );
    const wal = s.rows.find((r) => r.name === 'wal_level');
    if (wal?.setting !== 'logical') {
      const how = wal?.pending_restart
        ? 'its configuration already says wal_level = logical but the server has not been restarted since: close Emily everywhere (desktop app, servers) so the embedded server restarts, or restart that PostgreSQL'
        : 'set wal_level = logical in its postgresql.conf and restart it';
      throw new EmilyError('CONFLICT', `server "${server}" runs with wal_level = ${wal?.setting ?? 'unknown'}, so it cannot stream a user's database to another server; ${how}, then run the move again`);
    }
    const used = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots');
    const max = Number(s.rows.find((r) => r.name === 'max_replication_slots')?.setting ?? 0);
    if (used.rows[0]!.n >= max) throw new EmilyError('BUSY', `server "${server}" has all ${max} replication slots in use; wait for running moves to finish or raise max_replication_slots`);
  });
}

/**
 * Target side: room for one more move. Each move's subscription keeps an apply worker for
 * its whole copy, and its tables are copied by further workers from the same pool
 * (max_logical_replication_workers): with every slot taken by apply workers, no table copy
 * can start and the moves wait without an error until they time out. So a move starts only
 * while at least one slot stays free for copying. (c: a connection to the target server.)
 */
export async function assertRoomForMove(c: pg.ClientBase, server: string): Promise<void> {
  const r = await c.query<{ workers: number; moves: number }>(
    "SELECT current_setting('max_logical_replication_workers')::int AS workers, (SELECT count(*)::int FROM pg_subscription WHERE subname LIKE 'emily\\_mv\\_%') AS moves",
  );
  const { workers, moves } = r.rows[0]!;
  if (moves + 1 >= workers) {
    throw new EmilyError('BUSY', `server "${server}" is already receiving ${moves} move(s), and its ${workers} replication workers would leave none to copy tables; wait for a move to finish (or raise max_logical_replication_workers there), then move again`);
  }
}

/** Source side: the one-time role, its read access, and the publication. Returns the password. */
export async function createPublication(admin: AdminConnection, dbName: string, userId: string): Promise<string> {
  const name = moveObjectName(userId);
  const password = randomBytes(24).toString('base64url');
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(`CREATE ROLE ${quoteIdent(name)} LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT 4 PASSWORD ${c.escapeLiteral(scramVerifier(password))}`);
    await c.query(`GRANT CONNECT ON DATABASE ${quoteIdent(dbName)} TO ${quoteIdent(name)}`);
  });
  await withAdminClient(admin, dbName, async (c) => {
    await c.query(`GRANT USAGE ON SCHEMA public TO ${quoteIdent(name)}`);
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${quoteIdent(name)}`);
    await c.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR ALL TABLES`);
  });
  return password;
}

function conninfoValue(v: string | number): string {
  return `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Target side: the subscription copies every table, then streams changes. */
export async function createSubscription(target: AdminConnection, targetDb: string, source: AdminConnection, sourceDb: string, userId: string, password: string): Promise<void> {
  const name = moveObjectName(userId);
  const conninfo = [
    `host=${conninfoValue(source.host)}`,
    `port=${conninfoValue(source.port)}`,
    `dbname=${conninfoValue(sourceDb)}`,
    `user=${conninfoValue(name)}`,
    `password=${conninfoValue(password)}`,
    `application_name=${conninfoValue(name)}`,
    `connect_timeout=${conninfoValue(15)}`,
    // The target server connects to the source as the URL asks; a root certificate named in
    // the URL is a file of this machine, so verification there uses the server's own (~/.postgresql/root.crt).
    ...(source.tls ? [`sslmode=${conninfoValue(source.tls.mode)}`] : []),
  ].join(' ');
  await withAdminClient(target, targetDb, async (c) => {
    await c.query(`CREATE SUBSCRIPTION ${quoteIdent(name)} CONNECTION ${c.escapeLiteral(conninfo)} PUBLICATION ${quoteIdent(name)} WITH (slot_name = ${c.escapeLiteral(name)}, copy_data = true, create_slot = true)`);
  });
}

/** Waits until the initial copy of every table is done ('r' = ready in pg_subscription_rel). */
export async function waitSynced(target: AdminConnection, targetDb: string, userId: string, tables: number, opts: { timeoutMs: number; progress: (msg: string) => void; signal?: AbortSignal }): Promise<void> {
  const name = moveObjectName(userId);
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  await withAdminClient(target, targetDb, async (c) => {
    for (;;) {
      const r = await c.query<{ ready: number; errors: number }>(
        `SELECT (SELECT count(*)::int FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid WHERE s.subname = $1 AND sr.srsubstate = 'r') AS ready,
                (SELECT coalesce(sum(sync_error_count + apply_error_count), 0)::int FROM pg_stat_subscription_stats WHERE subname = $1) AS errors`,
        [name],
      );
      const { ready, errors } = r.rows[0]!;
      if (opts.signal?.aborted) throw new EmilyError('CANCELLED', 'the move was cancelled');
      if (errors > 0) throw new EmilyError('DATABASE_ERROR', `copying the database failed on the target server (${errors} replication error(s)); its server log says why`);
      if (ready >= tables) return;
      const msg = `copying: ${ready}/${tables} tables done`;
      if (msg !== last) opts.progress(msg);
      last = msg;
      if (Date.now() > deadline) throw new EmilyError('BUSY', `the initial copy did not finish within ${Math.round(opts.timeoutMs / 1000)} s (${ready}/${tables} tables); try again when the servers are less busy`);
      await new Promise((r2) => setTimeout(r2, 200));
    }
  });
}

/**
 * Waits until the slot has confirmed everything the source wrote up to `lsn`. A slot that
 * nobody streams from for a few seconds means the target is gone: fail fast rather than
 * keep the user waiting for the whole timeout.
 */
export async function waitCaughtUp(source: AdminConnection, userId: string, lsn: string, timeoutMs: number): Promise<void> {
  const name = moveObjectName(userId);
  const deadline = Date.now() + timeoutMs;
  let inactiveSince: number | undefined;
  await withAdminClient(source, 'postgres', async (c) => {
    for (;;) {
      const r = await c.query<{ ok: boolean | null; active: boolean }>('SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok, active FROM pg_replication_slots WHERE slot_name = $1', [name, lsn]);
      if (r.rowCount === 0) throw new EmilyError('DATABASE_ERROR', 'the replication slot of the move disappeared from the source server');
      if (r.rows[0]!.ok) return;
      if (r.rows[0]!.active) inactiveSince = undefined;
      else inactiveSince ??= Date.now();
      if (inactiveSince !== undefined && Date.now() - inactiveSince > 3_000) throw new EmilyError('CLUSTER_UNAVAILABLE', 'the target server stopped receiving the copy (is it down?)');
      if (Date.now() > deadline) throw new EmilyError('BUSY', `the copy did not catch up with the source within ${Math.round(timeoutMs / 1000)} s; try again`);
      await new Promise((r2) => setTimeout(r2, 25));
    }
  });
}

export async function currentLsn(admin: AdminConnection): Promise<string> {
  return withAdminClient(admin, 'postgres', async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn);
}

/**
 * Removes a move's subscription without contacting the source (its slot is dropped on the
 * source separately), so this works while the source is down.
 */
export async function dropSubscription(c: pg.ClientBase, name: string): Promise<void> {
  const exists = await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [name]);
  if (exists.rowCount === 0) return;
  await c.query(`ALTER SUBSCRIPTION ${quoteIdent(name)} DISABLE`);
  await c.query(`ALTER SUBSCRIPTION ${quoteIdent(name)} SET (slot_name = NONE)`);
  await c.query(`DROP SUBSCRIPTION ${quoteIdent(name)}`);
}

/** Drops a slot, ending the walsender that still streams from it. */
export async function dropSlot(c: pg.ClientBase, name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = await c.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [name]);
    if (r.rowCount === 0) return;
    const pid = r.rows[0]!.active_pid;
    if (pid) await c.query('SELECT pg_terminate_backend($1)', [pid]);
    try {
      await c.query('SELECT pg_drop_replication_slot($1)', [name]);
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '42704') return; // gone meanwhile
      if (code !== '55006') throw e; // still active: the walsender is exiting
      await new Promise((r2) => setTimeout(r2, 100));
    }
  }
  throw new EmilyError('BUSY', `replication slot ${name} stays in use; run "emily doctor --repair" again in a moment`);
}

/** pg_<subscription oid>_sync_<table oid>_<system id>: a slot the target's table-copy workers made. */
export const TABLE_SYNC_SLOT = '^pg_[0-9]+_sync_[0-9]+_[0-9]+$';

/**
 * The table-copy slots in one database. DROP SUBSCRIPTION removes them only when it can still
 * reach the source, so a move killed during its copy leaves them behind, holding WAL, and a
 * database with a slot cannot be dropped.
 */
export async function dropTableSyncSlots(c: pg.ClientBase, dbName: string): Promise<void> {
  const r = await c.query<{ n: string }>('SELECT slot_name AS n FROM pg_replication_slots WHERE database = $1 AND slot_name ~ $2', [dbName, TABLE_SYNC_SLOT]);
  for (const row of r.rows) await dropSlot(c, row.n);
}

/** Source side cleanup: slots, move role (publication goes with the database or separately). */
export async function dropSourceObjects(admin: AdminConnection, userId: string, dbName: string | undefined): Promise<void> {
  const name = moveObjectName(userId);
  await withAdminClient(admin, 'postgres', async (c) => {
    await dropSlot(c, name);
    if (dbName) {
      await dropTableSyncSlots(c, dbName);
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
      if (exists.rowCount === 1) {
        await withAdminClient(admin, dbName, async (d) => {
          await d.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`);
          const role = await d.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
          if (role.rowCount === 1) await d.query(`DROP OWNED BY ${quoteIdent(name)}`); // its grants in this database
        });
        await c.query(`REVOKE ALL ON DATABASE ${quoteIdent(dbName)} FROM ${quoteIdent(name)}`).catch(() => undefined);
      }
    }
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`).catch(async (e: unknown) => {
      // 2BP01: still holds grants in a database we did not visit; end its sessions and retry later.
      if ((e as { code?: string }).code !== '2BP01') throw e;
      throw new EmilyError('CONFLICT', `role ${name} still has privileges on server; run "emily doctor --repair"`, { cause: e });
    });
  });
}
