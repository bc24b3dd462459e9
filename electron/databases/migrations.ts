import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { EmilyError } from '../core/errors.js';
import { quoteIdent } from '../core/ids.js';

/**
 * Plain numbered SQL migrations with a ledger per database (after graphile-worker):
 * each file runs in its own transaction together with its ledger row; a database whose
 * ledger is ahead of the files, or whose applied checksums differ, is refused.
 * Hand-written rather than a library because we need per-database ownership
 * (SET ROLE to the user's role), the "newer than the app" refusal and per-database
 * reports; the whole runner is this file.
 */
export interface Migration {
  id: number;
  name: string;
  checksum: string;
  sql: string;
}

export type MigrationSet = 'user' | 'catalog';

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const LEDGER = 'emily_migrations';

export function migrationsRoot(): string {
  if (process.env.EMILY_MIGRATIONS_DIR) return process.env.EMILY_MIGRATIONS_DIR;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'migrations');
    if (fs.existsSync(path.join(candidate, 'user'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new EmilyError('INTERNAL', 'cannot find the migrations folder next to the app');
}

const cache = new Map<string, Migration[]>();

export function loadMigrations(set: MigrationSet, root = migrationsRoot()): Migration[] {
  const dir = path.join(root, set);
  const hit = cache.get(dir);
  if (hit) return hit;
  const list = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file, i) => {
      const m = FILE_RE.exec(file);
      if (!m) throw new EmilyError('INTERNAL', `migration file name ${file} does not match NNNN_name.sql`);
      const id = Number(m[1]);
      if (id !== i + 1) throw new EmilyError('INTERNAL', `migrations must be numbered without gaps; ${file} should be ${String(i + 1).padStart(4, '0')}`);
      // Line endings are not content: a checkout with CRLF (Git for Windows) must match the ledgers.
      const sql = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n');
      return { id, name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
  cache.set(dir, list);
  return list;
}

export function latestVersion(migrations: Migration[]): number {
  return migrations.length ? migrations[migrations.length - 1]!.id : 0;
}

export interface LedgerRow {
  id: number;
  name: string;
  checksum: string;
}

export interface SchemaState {
  version: number;
  pending: Migration[];
}

async function readLedger(client: pg.ClientBase): Promise<LedgerRow[]> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('public.${LEDGER}')::text AS t`);
  if (!exists.rows[0]?.t) return [];
  const res = await client.query<LedgerRow>(`SELECT id, name, checksum FROM ${LEDGER} ORDER BY id`);
  return res.rows;
}

/** Compares a database's ledger with the files; throws if the database must be refused. */
export async function schemaState(client: pg.ClientBase, migrations: Migration[], label = 'database'): Promise<SchemaState> {
  const ledger = await readLedger(client);
  const latest = latestVersion(migrations);
  for (const row of ledger) {
    if (row.id > latest) {
      throw new EmilyError('SCHEMA_TOO_NEW', `${label} has schema version ${ledger[ledger.length - 1]!.id}, newer than this Emily (${latest}); update Emily before opening it`);
    }
    const file = migrations[row.id - 1]!;
    if (file.checksum !== row.checksum) {
      throw new EmilyError('SCHEMA_MISMATCH', `${label}: migration ${row.id} (${row.name}) was applied from a different file than this Emily ships; it was changed after release or the database comes from another build`);
    }
  }
  const version = ledger.length ? ledger[ledger.length - 1]!.id : 0;
  return { version, pending: migrations.filter((m) => m.id > version) };
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

/** How long a migration waits for a table that a chat turn or a job holds, per attempt. */
const LOCK_WAIT_MS = 5_000;
const LOCK_ATTEMPTS = 3;

/**
 * Brings one database up to date. ownerRole: objects are created as that role, so that
 * a user database belongs to the user's own role.
 *
 * A schema change waits for every open transaction on its table, and everything after it
 * waits for the change: a migration stuck behind a long transaction would stall the whole
 * profile without a word. So each waits at most lockWaitMs for its locks, is tried again a
 * few times, and then fails for this database with a message that says what to do.
 */
export async function migrateDatabase(client: pg.ClientBase, migrations: Migration[], opts: { ownerRole?: string; label?: string; lockWaitMs?: number } = {}): Promise<MigrateResult> {
  const label = opts.label ?? 'database';
  const setRole = opts.ownerRole ? `SET LOCAL ROLE ${quoteIdent(opts.ownerRole)}` : undefined;
  await client.query('BEGIN');
  try {
    if (setRole) await client.query(setRole);
    await client.query(`CREATE TABLE IF NOT EXISTS ${LEDGER} (
      id integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  const { version: from } = await schemaState(client, migrations, label);
  const lockWait = String(Math.max(1, Math.round(opts.lockWaitMs ?? LOCK_WAIT_MS)));
  const applied: number[] = [];
  let to = from;
  let busy = 0;
  for (;;) {
    await client.query('BEGIN');
    try {
      // Serialises concurrent migrators of the same database (one may wait for another's file).
      await client.query(`LOCK TABLE ${LEDGER} IN EXCLUSIVE MODE`);
      const state = await schemaState(client, migrations, label);
      // Read under the lock: a migrator that waited for another reports what is there now.
      to = state.version;
      const next = state.pending[0];
      if (!next) {
        await client.query('COMMIT');
        break;
      }
      await client.query("SELECT set_config('lock_timeout', $1, true)", [lockWait]);
      if (setRole) await client.query(setRole);
      await client.query(next.sql);
      await client.query(`INSERT INTO ${LEDGER} (id, name, checksum) VALUES ($1, $2, $3)`, [next.id, next.name, next.checksum]);
      await client.query('COMMIT');
      applied.push(next.id);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (e instanceof EmilyError) throw e;
      if ((e as { code?: string }).code === '55P03') {
        if (++busy < LOCK_ATTEMPTS) continue;
        throw new EmilyError('BUSY', `${label} is in use: a chat or a background job kept a table it needs for ${Math.round((LOCK_ATTEMPTS * Number(lockWait)) / 1000)} s, so it was left at schema version ${to}. Close Emily (the app, or "emily serve"), then run "emily migrate" again`, { cause: e });
      }
      throw new EmilyError('MIGRATION_FAILED', `${label}: migration failed: ${(e as Error).message}`, { cause: e });
    }
  }
  return { from, to, applied };
}
