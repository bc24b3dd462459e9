import fs from 'node:fs';
import { EmilyError, toEmilyError } from '../core/errors.js';
import type { ClientBase } from 'pg';
import type { Emily } from '../core/emily.js';
import { withAdminClient } from '../databases/adminClient.js';
import { notReady } from '../databases/catalog.js';
import type { FrozenAccess } from '../databases/restoreSwap.js';
import { placeNew, prepareOutput, type DumpFormat } from './dumpFile.js';
import { connectionArgs, errorLines, isDiskFull, locateTool, runTool, ToolFailure } from './pgTools.js';
import { reporter, throwIfAborted, type LongRunning } from './progress.js';
import { userToolTarget } from './target.js';

export interface ExportOptions extends LongRunning {
  format?: DumpFormat;
  /** Replace a file already at the path (the desktop's save dialog has asked; the CLI's --force). */
  overwrite?: boolean;
  /** A folder the export must not be written into (Emily's data folder: its secrets live there). */
  outsideOf?: string;
  /**
   * gzip level for custom-format archives (0-9). Default 0: embeddings barely compress, and
   * an uncompressed archive is written and checked several times faster (PostgreSQL 15's
   * pg_dump offers only gzip). Backups use 1 to save disk.
   */
  compress?: number;
  /**
   * The caller holds the profile frozen ('moving', under its move lock) to swap a copy in
   * and wants what it holds first: the status is not checked, and nothing goes through the
   * user's pool, whose callers are waiting for that very lock. pg_dump logs in as the user's
   * role with the password the freeze gave it.
   */
  frozen?: FrozenAccess;
  /**
   * How long pg_dump waits for its shared lock on each table (default 60 s). A task holding
   * a table exclusively (an index rebuilt by doctor --repair, a migration) must not leave an
   * export, or a scheduled backup, hanging without a word.
   */
  lockWaitMs?: number;
}

export interface ExportResult {
  userId: string;
  file: string;
  format: DumpFormat;
  bytes: number;
  tables: number;
  /** The schema version the dump holds (its ledger's). */
  schemaVersion: number;
  seconds: number;
}

/**
 * Writes a standard pg_dump of one user's database, connected as the user's own role.
 * No owner and no privileges are written, so a stock pg_restore or psql restores it into any
 * PostgreSQL 15 with pgvector; the file appears under its name only once complete (0600:
 * it is the user's whole mind).
 */
export async function exportUser(emily: Emily, userId: string, out: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const started = performance.now();
  const format = opts.format ?? 'custom';
  if (format !== 'custom' && format !== 'plain') throw new EmilyError('BAD_INPUT', `unknown export format "${String(format)}"; use custom or plain`);
  const user = await emily.catalog.get(userId);
  if (user.status !== 'ready' && !opts.frozen) throw notReady(user);
  const { final, temp } = prepareOutput(out, { overwrite: opts.overwrite ?? false, outsideOf: opts.outsideOf });
  const progress = reporter(opts.onProgress);
  throwIfAborted(opts.signal, 'the export');
  // The schema version is read from the database, not the catalog: a profile migrated when it was opened is at the new one.
  const look = async (c: ClientBase) =>
    (await c.query<{ tables: number; version: number }>("SELECT (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS tables, (SELECT coalesce(max(id), 0) FROM emily_migrations) AS version")).rows[0]!;
  const { tables, version: schemaVersion } = opts.frozen ? await withAdminClient(emily.servers.admin(user.server), user.dbName, look) : await emily.withUser(user.id, look);
  progress({ phase: 'export', done: 0, total: tables, message: `exporting "${user.displayName}"` });
  const pgDump = locateTool('pg_dump');
  const target = { ...userToolTarget(emily, user), ...(opts.frozen ? { password: opts.frozen.password } : {}) };
  let done = 0;
  const args = [...connectionArgs(target), '--format', format === 'custom' ? 'c' : 'p', '--file', temp, '--verbose', '--no-owner', '--no-acl', '--encoding', 'UTF8',
    // A move in progress keeps a publication in the database; it is scaffolding, not the user's data.
    '--no-publications', '--no-subscriptions', `--lock-wait-timeout=${lockWait(opts.lockWaitMs)}`];
  const level = opts.compress ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new EmilyError('BAD_INPUT', 'the compression level must be a whole number from 0 to 9');
  if (format === 'custom') args.push('--compress', String(level));
  try {
    // Made before pg_dump opens it, which would create it with the default mask (0644):
    // readable by anyone while a whole profile is written into it, and after a kill.
    fs.closeSync(fs.openSync(temp, 'wx', 0o600));
    await runTool(pgDump, args, {
      password: target.password,
      tls: target.tls,
      signal: opts.signal,
      onStderrLine: (line) => {
        const m = /dumping contents of table "public\.([^"]+)"/.exec(line);
        if (m) progress({ phase: 'export', done: ++done, total: tables, message: `table ${m[1]}` });
      },
    });
    fs.chmodSync(temp, 0o600);
    if (opts.overwrite) fs.renameSync(temp, final);
    else placeNew(temp, final);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw exportError(e, final);
  }
  const bytes = fs.statSync(final).size;
  progress({ phase: 'export', done: tables, total: tables, message: `wrote ${final}` });
  return { userId: user.id, file: final, format, bytes, tables, schemaVersion, seconds: (performance.now() - started) / 1000 };
}

function exportError(e: unknown, file: string): EmilyError {
  if (isDiskFull(e)) return new EmilyError('DISK_FULL', `the disk holding ${file} is full; free some space (or export to another disk) and try again. No file was written.`, { cause: e });
  if (e instanceof ToolFailure) {
    if (/could not open output file/i.test(e.stderr)) return new EmilyError('BAD_INPUT', `cannot write ${file}: ${errorLines(e.stderr)}; choose a folder you can write to`, { cause: e });
    // The profile's sessions were ended under pg_dump: it is being deleted, moved or replaced.
    if (/terminating connection due to administrator command|does not exist/i.test(e.stderr)) {
      return new EmilyError('BUSY', 'the profile was deleted, moved or replaced while it was being exported; no file was written. Export it again once it is there', { cause: e });
    }
    if (/canceling statement due to (lock|statement) timeout|could not obtain lock/i.test(e.stderr)) {
      return new EmilyError('BUSY', 'another task holds a table of the profile locked (an upgrade or a repair?); no file was written. Try the export again in a few minutes', { cause: e });
    }
    return new EmilyError('DATABASE_ERROR', `the export failed: ${errorLines(e.stderr) || e.message}`, { cause: e });
  }
  return toEmilyError(e, 'the export failed');
}

function lockWait(ms = 60_000): number {
  if (!Number.isInteger(ms) || ms < 1) throw new EmilyError('BAD_INPUT', 'the lock wait must be a whole number of milliseconds');
  return ms;
}
