import type { Emily } from '../core/emily.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { quoteIdent, userRoleName } from '../core/ids.js';
import { withAdminClient } from '../databases/adminClient.js';
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

/** The old database, renamed aside; the name says which profile and which copy, so an interrupted swap can be finished. */
const ASIDE_RE = /^emily_replaced_([a-z][a-z0-9]{11})_([a-z][a-z0-9]{11})$/;

async function swapInto(emily: Emily, live: UserRecord, fresh: UserRecord): Promise<void> {
  const admin = emily.servers.admin(live.server);
  const aside = `emily_replaced_${live.id}_${fresh.id}`;
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

/** After the swap committed: the copy's objects to the profile's role, then the old copy and the copy's own role go. Idempotent. */
async function finishSwap(emily: Emily, live: UserRecord, freshId: string, aside: string): Promise<void> {
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
  if (fresh) await emily.catalog.remove(fresh.id);
  await emily.catalog.update(live.id, fresh ? { status: 'ready', schemaVersion: fresh.schemaVersion } : { status: 'ready' });
}

/**
 * Finishes restores whose swap committed but whose clean-up a crash interrupted (found by
 * their renamed-aside databases); answers which profiles it finished.
 */
export async function finishInterruptedRestores(emily: Emily): Promise<string[]> {
  const done: string[] = [];
  for (const server of emily.servers.names()) {
    const admin = emily.servers.admin(server);
    const names = await withAdminClient(admin, 'postgres', async (c) =>
      (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_replaced\\_%'")).rows.map((r) => r.datname),
    );
    for (const name of names) {
      const m = ASIDE_RE.exec(name);
      if (!m) continue;
      const live = await emily.catalog.get(m[1]!).catch(() => undefined);
      if (!live || live.server !== server) continue;
      await finishSwap(emily, live, m[2]!, name);
      done.push(live.id);
    }
  }
  return done;
}
