import type { Emily } from '../core/emily.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { quoteIdent } from '../core/ids.js';
import { withAdminClient } from '../databases/adminClient.js';
import type { UserRecord } from '../databases/catalog.js';
import { moveLock } from '../databases/moveLock.js';
import { asideName, finishSwap } from '../databases/restoreSwap.js';
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
 * Only once that copy is verified does `replace` swap it in: the live database is renamed
 * aside, the copy takes its name and role, and the old one is dropped last.
 */
export async function restoreBackup(emily: Emily, backupId: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const b = findBackup(emily, backupId);
  await assertIntact(b);
  const live = opts.replace ? await emily.catalog.get(b.userId) : undefined;
  if (live && live.status !== 'ready') throw new EmilyError('BUSY', `the profile "${live.displayName}" is ${live.status}; try again when it is ready`);
  const name = live?.displayName ?? opts.as ?? `${b.displayName} (restored ${b.createdAt.toISOString().slice(0, 10)})`;
  const { user: fresh, ...report } = await importDump(emily, b.file, { name, onProgress: opts.onProgress, signal: opts.signal });
  if (!live) return { user: fresh, replaced: false, import: report };
  await swapInto(emily, live, fresh);
  return { user: await emily.catalog.get(live.id), replaced: true, import: report };
}

async function swapInto(emily: Emily, live: UserRecord, fresh: UserRecord): Promise<void> {
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
    throw toEmilyError(e, 'could not put the restored copy in place; the live profile is unchanged and the restored copy is kept as its own profile');
  }
  await finishSwap(emily, live, fresh.id, aside);
}
