import { learnImported, queueLocalVectors } from '../../operations/learnImported.js';
import type { Command } from 'commander';
import { benchPortability } from '../../bench/portabilityBench.js';
import { EmilyError } from '../../core/errors.js';
import { backupAll, createBackup, deleteBackup, listBackups, removeUserBackups } from '../../portability/backups.js';
import { importChatHistory } from '../../portability/chat/importChat.js';
import { deleteProfile } from '../../portability/deleteProfile.js';
import { exportUser } from '../../portability/exportDump.js';
import { importDump, type ImportResult } from '../../portability/importDump.js';
import type { Progress } from '../../portability/progress.js';
import { restoreBackup } from '../../portability/restoreBackup.js';
import { runDueBackups } from '../../portability/scheduler.js';
import { emit, table } from '../output.js';
import { withCancellable } from '../session.js';
import { benchAction } from './benchAction.js';
import type { Runner } from './users.js';

interface Json {
  json?: boolean;
}

/**
 * Opens the core for one long command. Ctrl-C cancels the operation (which cleans up after
 * itself) instead of exiting mid-way: an interrupted dump import leaves nothing behind, an
 * interrupted chat import keeps the conversations it finished (each commits whole).
 */
/** Progress on stderr (stdout stays one JSON document with --json), at most a few lines a second. */
function progressPrinter(): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 250 && p.done !== p.total) return;
    last = now;
    if (process.stderr.isTTY || process.env.EMILY_PROGRESS) process.stderr.write(`${p.phase} ${p.done}/${p.total} ${p.message}\n`);
  };
}

export function registerPortability(program: Command, run: Runner): void {
  program
    .command('export')
    .description("write a user's Emily as a standard pg_dump (restore elsewhere with pg_restore --no-owner, or psql for --format plain)")
    .requiredOption('--user <id>', 'user id')
    .requiredOption('--out <file>', 'output file')
    .option('--format <format>', 'custom or plain', 'custom')
    .option('--compress <level>', 'gzip level 0-9 for the custom format (0 is fastest)', '0')
    .option('--force', 'replace the output file if it exists')
    .option('--json', 'print JSON')
    .action((opts: Json & { user: string; out: string; format: string; compress: string; force?: boolean }) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          if (opts.format !== 'custom' && opts.format !== 'plain') throw new EmilyError('BAD_INPUT', '--format must be custom or plain');
          const r = await exportUser(emily, opts.user, opts.out, { format: opts.format, compress: Number(opts.compress), overwrite: opts.force === true, outsideOf: emily.home, signal, onProgress: progressPrinter() });
          emit(opts, r, () => `exported ${r.userId} to ${r.file} (${r.format}, ${r.bytes} bytes, ${r.seconds.toFixed(2)} s)`);
        }),
      ),
    );
  program
    .command('import <file>')
    .description('import a pg_dump of an Emily (custom or plain) as a new profile, or in place of one (--replace); the dump is checked before anything runs')
    .option('--name <profile>', 'name of the new profile (default: the file name)')
    .option('--replace <id>', "put the dump's Emily in place of this profile (same id, name and role; its current memories are dropped once the copy is verified)")
    .option('--json', 'print JSON')
    .action((file: string, opts: Json & { name?: string; replace?: string }) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          if (opts.replace !== undefined && opts.name !== undefined) throw new EmilyError('BAD_INPUT', '--name names a new profile; with --replace the profile keeps its name');
          const live = opts.replace === undefined ? undefined : await emily.catalog.get(opts.replace);
          const imported = await importDump(emily, file, { name: live?.displayName ?? opts.name, replace: live, signal, onProgress: progressPrinter() });
          // As in the app: vectors of the model in use are rebuilt in the background (see "emily jobs").
          // (Not while an unfinished swap holds the profile: the recovery that finishes it queues them.)
          const r = { ...imported, reembedJob: imported.unfinished ? null : ((await queueLocalVectors(emily, imported.user.id))?.id ?? null) };
          emit(opts, r, () => importSummary(r, live !== undefined));
        }),
      ),
    );
  program
    .command('import-chat <file>')
    .description('import chat history into a profile: a ChatGPT export (.zip or conversations.json) or a JSON-lines transcript (docs/transcript-format.md)')
    .requiredOption('--user <id>', 'user id')
    .option('--format <format>', 'auto, chatgpt or transcript', 'auto')
    .option('--json', 'print JSON')
    .action((file: string, opts: Json & { user: string; format: string }) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          if (!['auto', 'chatgpt', 'transcript'].includes(opts.format)) throw new EmilyError('BAD_INPUT', '--format must be auto, chatgpt or transcript');
          const r = await importChatHistory(emily, opts.user, file, { format: opts.format as 'auto', signal, onProgress: progressPrinter(), learn: learnImported(emily) });
          emit(opts, r, () =>
            [`${r.conversations} conversations, ${r.turnsInserted} new turns, ${r.turnsAlreadyThere} already there, ${r.learned} learned from${r.learnError ? ` (learning stopped: ${r.learnError.message})` : ''}`, ...r.problems.slice(0, 20).map((p) => `skipped ${p.where}: ${p.message}`), r.problems.length > 20 ? `… and ${r.problems.length - 20} more` : ''].filter(Boolean).join('\n'),
          );
        }),
      ),
    );
  program
    .command('backup')
    .description('back up one profile (--user) or all (--all) into the backups folder')
    .option('--user <id>', 'user id')
    .option('--all', 'every profile')
    .option('--json', 'print JSON')
    .action((opts: Json & { user?: string; all?: boolean }) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          if (!!opts.user === !!opts.all) throw new EmilyError('BAD_INPUT', 'give either --user <id> or --all');
          if (opts.user) {
            const b = await createBackup(emily, opts.user, { signal, onProgress: progressPrinter() });
            emit(opts, [b], () => `backed up "${b.displayName}" as ${b.id} (${b.bytes} bytes)`);
            return;
          }
          const results = await backupAll(emily, { signal, onProgress: progressPrinter() });
          const failed = results.filter((r) => !r.ok).length;
          emit(opts, { users: results, failed }, () =>
            [
              ...results.map((r) => `${r.userId} "${r.displayName}" (${r.server}): ${r.ok ? `backed up as ${r.value!.id} (${r.value!.bytes} bytes)` : `FAILED ${r.error!.message}`}`),
              `${results.length} profile(s), ${failed} failed`,
            ].join('\n'),
          );
          if (failed) process.exitCode = 1;
        }),
      ),
    );
  const backups = program.command('backups').description('list backups and run the backup schedule');
  backups
    .command('list')
    .description('list backups, newest first')
    .option('--user <id>', 'only this user')
    .option('--json', 'print JSON')
    .action((opts: Json & { user?: string }) =>
      run(opts, () =>
        withCancellable(async (emily) => {
          const list = listBackups(emily, { userId: opts.user });
          emit(opts, list, () => (list.length ? table([['BACKUP', 'NAME', 'KIND', 'SIZE'], ...list.map((b) => [b.id, b.displayName, b.kind, String(b.bytes)])]) : 'no backups yet: "emily backup --user <id>"'));
        }),
      ),
    );
  backups
    .command('delete [backup]')
    .description('delete one backup, or with --user every backup of a profile (a deleted profile\'s too)')
    .option('--user <id>', 'every backup of this user')
    .option('--json', 'print JSON')
    .action((backup: string | undefined, opts: Json & { user?: string }) =>
      run(opts, () =>
        withCancellable(async (emily) => {
          if (!backup === !opts.user) throw new EmilyError('BAD_INPUT', 'give either a backup id ("emily backups list" shows them) or --user <id>');
          let removed = 1;
          if (backup) deleteBackup(emily, backup);
          else removed = removeUserBackups(emily, opts.user!);
          emit(opts, { ok: true, removed }, () => `removed ${removed} backup(s)`);
        }),
      ),
    );
  backups
    .command('run-due')
    .description('run the daily schedule once: back up profiles whose last scheduled backup is a day old, prune by retention (7 daily, 4 weekly)')
    .option('--json', 'print JSON')
    .action((opts: Json) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          const r = await runDueBackups(emily, new Date(), { signal, onProgress: progressPrinter() });
          emit(opts, r, () => `${r.backedUp.length} backed up, ${r.pruned.length} pruned, ${r.failed.length} failed${r.failed.map((f) => `\n  ${f.userId}: ${f.error.message}`).join('')}`);
          if (r.failed.length) process.exitCode = 1;
        }),
      ),
    );
  program
    .command('restore <backup>')
    .description('restore a backup as a new profile, or with --replace in place of its profile once the copy is verified')
    .option('--as <name>', 'name of the new profile')
    .option('--replace', 'replace the live profile the backup came from')
    .option('--json', 'print JSON')
    .action((backup: string, opts: Json & { as?: string; replace?: boolean }) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          if (opts.as && opts.replace) throw new EmilyError('BAD_INPUT', 'give either --as <name> or --replace');
          const restored = await restoreBackup(emily, backup, { as: opts.as, replace: opts.replace, signal, onProgress: progressPrinter() });
          const r = { ...restored, reembedJob: restored.import.unfinished ? null : ((await queueLocalVectors(emily, restored.user.id))?.id ?? null) };
          emit(opts, r, () => (`${r.replaced ? `restored ${backup} in place of "${r.user.displayName}" (${r.user.id})` : `restored ${backup} as ${r.user.id} "${r.user.displayName}"`}${r.import.unfinished ? `\n${r.import.unfinished}` : ''}`));
        }),
      ),
    );
  program
    .command('delete-profile <id>')
    .description("delete a profile: its database and role, and with --with-backups all its backups too")
    .option('--with-backups', 'also delete every backup of this profile')
    .option('--json', 'print JSON')
    .action((id: string, opts: Json & { withBackups?: boolean }) =>
      run(opts, () =>
        withCancellable(async (emily) => {
          const r = await deleteProfile(emily, id, { withBackups: opts.withBackups });
          const kept = opts.withBackups ? 0 : listBackups(emily, { userId: r.id }).length;
          const backupsNote = opts.withBackups ? `, removed ${r.backupsRemoved} backup(s)` : kept ? `; its ${kept} backup(s) stay ("emily backups delete --user ${r.id}" removes them)` : '';
          emit(opts, { ok: true, ...r, backupsKept: kept }, () => `deleted ${r.id}: dropped ${r.dropped.database} and ${r.dropped.role}${backupsNote}`);
        }),
      ),
    );
  const bench = program.commands.find((c) => c.name() === 'bench') ?? program.command('bench');
  bench
    .command('portability')
    .description('export and re-import a well-used Emily (16,000 L3 + 25,000 L4 rows with vectors)')
    .option('--format <format>', 'custom or plain', 'custom')
    .option('--json', 'print JSON')
    .action(benchAction(run, (opts: Json & { format: string }) => benchPortability({ format: opts.format === 'plain' ? 'plain' : 'custom' })));
}

/** The import's outcome for a person: one line, then one line for each thing to know. */
function importSummary(r: ImportResult & { reembedJob: number | null }, replaced: boolean): string {
  const migrated = r.migratedFrom !== r.schemaVersion ? `, migrated from ${r.migratedFrom}` : '';
  const lines = [
    `${replaced ? 'imported in place of' : 'imported as'} ${r.user.id} "${r.user.displayName}" (schema ${r.schemaVersion}${migrated}, ${r.rows.memories ?? 0} memories, ${r.rows.turns ?? 0} turns, ${r.seconds.toFixed(2)} s)`,
    r.droppedVectors && `${r.droppedVectors} vectors did not have their model's size and were left out; a re-embedding job builds them again for the model in use`,
    r.vectorIndexErrors.length && `vector indexes not built (search works without them, more slowly): ${r.vectorIndexErrors.join('; ')}`,
    r.statisticsError && `planner statistics not gathered (autovacuum gathers them within minutes; until then searches may be slower): ${r.statisticsError}`,
    r.previous && `what it held before is kept as backup ${r.previous.id}`,
    r.unfinished,
    r.reembedJob && `vectors of the model in use are built in the background by job ${r.reembedJob}, while Emily runs ("emily jobs --user ${r.user.id}" shows its progress)`,
  ];
  return lines.filter((l): l is string => typeof l === 'string' && l !== '').join('\n');
}
