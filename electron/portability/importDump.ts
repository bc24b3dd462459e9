import fs from 'node:fs';
import path from 'node:path';
import type { Emily } from '../core/emily.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { quoteIdent } from '../core/ids.js';
import { notReady, type UserRecord } from '../databases/catalog.js';
import { loadMigrations } from '../databases/migrations.js';
import { expectedTables } from '../databases/schemaTables.js';
import { swapInto, type SwapResult } from '../databases/restoreSwap.js';
import { createBackup, type BackupInfo } from './backups.js';
import { checkInputFile, detectFormat, privateCopy, privateWorkDir, type DumpFormat } from './dumpFile.js';
import { createEmptyProfile } from './freshProfile.js';
import { errorLines, locateTool, runTool, ToolFailure } from './pgTools.js';
import { runCheckedScript } from './scriptRunner.js';
import { nameFromFile } from './fileName.js';
import { reporter, throwIfAborted, type LongRunning, type ProgressFn } from './progress.js';
import { assertEmilyDump, ScriptChecker, type ScriptFacts } from './scriptCheck.js';
import { userToolTarget } from './target.js';
import { planToc, parseToc } from './tocPolicy.js';
import { verifyRestored, type VerifyReport } from './verifyRestore.js';
import { buildVectorIndexes } from './vectorIndexes.js';

export interface ImportOptions extends LongRunning {
  /** Profile name; defaults to the file name. */
  name?: string;
  /**
   * A live profile to put the dump's Emily in place of. The dump still goes into a new
   * database on that profile's server, which stays 'provisioning' (never listed; doctor's
   * debris after a crash) until it is verified and swapped in under the profile's id, name
   * and role; the profile's old database is dropped last.
   */
  replace?: UserRecord;
}

export interface ImportResult extends VerifyReport {
  user: UserRecord;
  format: DumpFormat;
  bytes: number;
  /** Until the profile was verified and live. */
  readySeconds: number;
  /** Including the vector index builds that follow. */
  seconds: number;
  /** With `replace`: the backup of what the profile held, taken once it was frozen for the swap. */
  previous?: BackupInfo;
  /** With `replace`: the copy is in place but the old one's clean-up failed (what to do about it). */
  unfinished?: string;
  /** Vector indexes that could not be built (the profile works without them, by exact search). */
  vectorIndexErrors: string[];
  /** Why the planner statistics could not be gathered (autovacuum gathers them later; until then plans guess). */
  statisticsError?: string;
}

/**
 * Makes a dump (untrusted) into a new local profile:
 *  1. copy the file privately, detect its format;
 *  2. check every entry and every SQL statement that would run against what an Emily
 *     database contains, and read its schema version: refused dumps stop here;
 *  3. restore into a brand-new database, connected as that database's own non-superuser
 *     role, so even an unforeseen statement can reach nothing but that empty database;
 *  4. verify (vector, schema migrated forward, row counts, indexes); only then mark it ready.
 * Any failure or cancel drops the new database, role and catalog row; nothing else is touched.
 */
export async function importDump(emily: Emily, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const live = opts.replace;
  if (live && live.status !== 'ready') throw notReady(live);
  const abs = checkInputFile(file);
  const format = detectFormat(abs);
  const progress = reporter(opts.onProgress);
  const work = privateWorkDir('import');
  try {
    progress({ phase: 'check', done: 0, total: 1, message: `checking ${path.basename(abs)}` });
    const copy = await privateCopy(abs, work.dir, opts.signal);
    const bytes = fs.statSync(copy).size;
    const checked = format === 'custom' ? await checkCustom(copy, work.dir, opts.signal) : await checkPlain(copy, work.dir, progress, opts.signal);
    const migrations = loadMigrations('user');
    assertEmilyDump(checked.facts, migrations);
    progress({ phase: 'check', done: 1, total: 1, message: `${checked.facts.kept} statements allowed, ${checked.facts.dropped} left out` });
    throwIfAborted(opts.signal, 'the import');

    const name = opts.name ?? nameFromFile(abs);
    const fresh = await createEmptyProfile(emily, name, { server: live?.server });
    let ready: ImportResult | undefined;
    let swapped: SwapResult<BackupInfo> | undefined;
    try {
      const target = userToolTarget(emily, fresh.user);
      await runCheckedScript(checked.script, target, { signal: opts.signal, onBytes: (done, total) => progress({ phase: 'restore', done, total, message: 'restoring' }) });
      throwIfAborted(opts.signal, 'the import');
      progress({ phase: 'verify', done: 0, total: 1, message: 'verifying the restored database' });
      const report = await verifyRestored(emily, fresh.user, checked.facts.rows);
      throwIfAborted(opts.signal, 'the import');
      if (live) {
        await emily.catalog.update(fresh.user.id, { schemaVersion: report.schemaVersion });
        // Replacing is the one import that discards an Emily: what she holds is kept first,
        // once she is frozen for the swap, so the backup is exactly what the copy replaces.
        swapped = await swapInto(emily, live.id, await emily.catalog.get(fresh.user.id), {
          keepBackup: async (frozen, access) => {
            progress({ phase: 'verify', done: 1, total: 1, message: `keeping a backup of what "${live.displayName}" holds now` });
            const b = await createBackup(emily, frozen.id, { kind: 'manual', signal: opts.signal, frozen: access });
            progress({ phase: 'verify', done: 1, total: 1, message: `putting it in place of "${live.displayName}"` });
            return b;
          },
        });
      } else {
        await emily.catalog.update(fresh.user.id, { status: 'ready', schemaVersion: report.schemaVersion });
      }
      progress({ phase: 'verify', done: 1, total: 1, message: 'ready' });
      const readySeconds = (performance.now() - started) / 1000;
      ready = { ...report, user: await emily.catalog.get(live?.id ?? fresh.user.id), format, bytes, readySeconds, seconds: readySeconds, vectorIndexErrors: [], ...(swapped?.previous ? { previous: swapped.previous } : {}), ...(swapped?.unfinished ? { unfinished: swapped.unfinished } : {}) };
    } catch (e) {
      // Once swapped in, the copy is the profile's database: nothing to discard.
      if (!swapped) await fresh.discard().catch(() => undefined);
      throw restoreError(e, opts.signal);
    } finally {
      fresh.release();
    }
    // The profile is live (retrieval works by exact search meanwhile). A restore leaves the
    // planner without statistics until autovacuum comes round (minutes): every plan guesses
    // meanwhile, and retrieval cannot tell a common word from a rare one. As the profile's own
    // role, like everything after the check; a failure leaves it to autovacuum.
    progress({ phase: 'index', done: 0, total: checked.facts.vectorIndexes.length, message: 'gathering statistics' });
    const statisticsError = await emily
      .withUser(ready.user.id, (c) => c.query(`ANALYZE ${expectedTables(migrations).map((t) => `public.${quoteIdent(t)}`).join(', ')}`))
      .then(() => undefined, (e: unknown) => toEmilyError(e).message);
    // Now the vector indexes.
    const built = await buildVectorIndexes(emily, ready.user.id, checked.facts.vectorIndexes, progress);
    return { ...ready, vectorIndexes: ready.vectorIndexes + built.built.length, vectorIndexErrors: built.errors, ...(statisticsError ? { statisticsError } : {}), seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    if (opts.signal?.aborted) throw new EmilyError('CANCELLED', 'the import was cancelled; nothing was kept', { cause: e });
    throw e;
  } finally {
    work.dispose();
  }
}

interface Checked {
  facts: ScriptFacts;
  /** The sanitized script: the statements the check keeps and their table data, nothing else. */
  script: string;
}

async function checkCustom(copy: string, dir: string, signal?: AbortSignal): Promise<Checked> {
  const pgRestore = locateTool('pg_restore');
  let listing = '';
  await runTool(pgRestore, ['--list', copy], { signal, onStdout: (d) => (listing += d.toString('utf8')) }).catch((e: unknown) => {
    throw invalidArchive(e);
  });
  const plan = planToc(parseToc(listing));
  const list = path.join(dir, 'restore.list');
  fs.writeFileSync(list, plan.keep.map((e) => e.line).join('\n') + '\n', { mode: 0o600 });
  // The listing is the archive's own claim; the SQL pg_restore would run is what we judge,
  // and what we judged is what runs (runCheckedScript), not pg_restore's own connection.
  const { script, checker, close } = sanitizedScript(dir);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort);
  let refusal: unknown;
  try {
    await runTool(pgRestore, ['--file', '-', '--use-list', list, '--no-owner', '--no-acl', copy], {
      signal: stop.signal,
      onStdout: (d) => {
        if (refusal) return;
        try {
          checker.push(d);
        } catch (e) {
          refusal = e;
          stop.abort();
        }
      },
    });
    if (!refusal) checker.end();
  } catch (e) {
    if (!refusal) throw signal?.aborted ? e : invalidArchive(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    close();
  }
  if (refusal) throw refusal;
  return { facts: checker.facts, script };
}

async function checkPlain(copy: string, dir: string, progress: ProgressFn, signal?: AbortSignal): Promise<Checked> {
  const { script, checker, close } = sanitizedScript(dir);
  const total = fs.statSync(copy).size;
  let done = 0;
  try {
    for await (const chunk of fs.createReadStream(copy, { highWaterMark: 1 << 20, signal })) {
      checker.push(chunk as Buffer);
      done += (chunk as Buffer).length;
      progress({ phase: 'check', done, total, message: 'checking statements' });
    }
    checker.end();
    return { facts: checker.facts, script };
  } finally {
    close();
  }
}

/** A checker that writes what it keeps (statements and their table data) to a private file: what runs. */
function sanitizedScript(dir: string): { script: string; checker: ScriptChecker; close: () => void } {
  const script = path.join(dir, 'restore.sql');
  const fd = fs.openSync(script, 'w', 0o600);
  const checker = new ScriptChecker((d) => void fs.writeSync(fd, typeof d === 'string' ? Buffer.from(d) : d));
  return { script, checker, close: () => fs.closeSync(fd) };
}

function invalidArchive(e: unknown): EmilyError {
  if (e instanceof ToolFailure) return new EmilyError('INVALID_DUMP', `the file is not a readable pg_dump archive (${errorLines(e.stderr) || 'pg_restore failed'}); it may be truncated or damaged`, { cause: e });
  return toEmilyError(e);
}

function restoreError(e: unknown, signal?: AbortSignal): EmilyError {
  if (signal?.aborted) return new EmilyError('CANCELLED', 'the import was cancelled; nothing was kept', { cause: e });
  // (The script's own failures arrive as INVALID_DUMP / UNSAFE_DUMP from runCheckedScript.)
  return toEmilyError(e, 'the import failed; nothing was kept');
}
