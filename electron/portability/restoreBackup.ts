import type { Emily } from '../core/emily.js';
import type { UserRecord } from '../databases/catalog.js';
import { assertIntact, findBackup } from './backups.js';
import { importDump, type ImportResult } from './importDump.js';
import type { LongRunning } from './progress.js';

export interface RestoreOptions extends LongRunning {
  /** Name of the new profile (default: "<name> (restored <date>)"). */
  as?: string;
  /** Put the restored copy in place of the profile the backup was taken from. */
  replace?: boolean;
}

export interface RestoreResult {
  user: UserRecord;
  /** Set when the live profile was replaced (same id, same database name). */
  replaced: boolean;
  import: Omit<ImportResult, 'user'>;
}

/**
 * Restores a backup through the checked import path, always into a new database first.
 * Only once that copy is verified does `replace` swap it in (see importDump's `replace`).
 */
export async function restoreBackup(emily: Emily, backupId: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const b = findBackup(emily, backupId);
  await assertIntact(b);
  const live = opts.replace ? await emily.catalog.get(b.userId) : undefined;
  const name = live?.displayName ?? opts.as ?? `${b.displayName} (restored ${b.createdAt.toISOString().slice(0, 10)})`;
  const { user, ...report } = await importDump(emily, b.file, { name, replace: live, onProgress: opts.onProgress, signal: opts.signal });
  return { user, replaced: live !== undefined, import: report };
}

