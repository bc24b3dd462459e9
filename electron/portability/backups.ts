import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Emily } from '../core/emily.js';
import { EmilyError } from '../core/errors.js';
import { assertUserId } from '../core/ids.js';
import { forEachUser, type PerUserResult } from '../databases/forEachUser.js';
import type { FrozenAccess } from '../databases/restoreSwap.js';
import { fileSha256 } from './dumpFile.js';
import { exportUser } from './exportDump.js';
import { isDiskFull } from './pgTools.js';
import type { LongRunning } from './progress.js';

export type BackupKind = 'scheduled' | 'manual';

export interface BackupInfo {
  /** `<userId>/<stamp>-<kind>`: what `emily restore` takes. */
  id: string;
  userId: string;
  displayName: string;
  kind: BackupKind;
  createdAt: Date;
  file: string;
  bytes: number;
  schemaVersion: number;
  sha256: string;
}

/** A backup's description, as written next to its dump; anything else there is damaged. */
const MetaSchema = z.object({
  userId: z.string().regex(/^[a-z][a-z0-9]{11}$/),
  displayName: z.string().max(1000),
  kind: z.enum(['scheduled', 'manual']),
  createdAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date'),
  bytes: z.number().int().nonnegative(),
  schemaVersion: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
type Meta = z.infer<typeof MetaSchema>;

const NAME = /^(\d{8}T\d{9}Z)-(scheduled|manual)\.dump$/;

/**
 * Per-user backups as custom-format dumps under the home's backups/ folder (0700), one
 * folder per user, each dump with a small JSON description written after it (a dump
 * without its description is an interrupted backup and is not listed). Files, not catalog
 * rows: a backups folder copied to another machine still lists and restores.
 */
export function backupsRoot(emily: Emily): string {
  return emily.cluster.layout.backups;
}

function userDir(emily: Emily, userId: string): string {
  return path.join(backupsRoot(emily), assertUserId(userId));
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/**
 * Backs up every profile, a few at a time per server; one that fails (its server down, its
 * database refusing connections) is reported on its own line and the others still run.
 */
export async function backupAll(emily: Emily, opts: LongRunning & { concurrency?: number } = {}): Promise<PerUserResult<BackupInfo>[]> {
  const { concurrency = 2, ...rest } = opts;
  return forEachUser(await emily.catalog.list(), (u) => createBackup(emily, u.id, rest), { concurrency });
}

export async function createBackup(emily: Emily, userId: string, opts: LongRunning & { kind?: BackupKind; now?: Date; frozen?: FrozenAccess } = {}): Promise<BackupInfo> {
  const user = await emily.catalog.get(userId);
  const kind = opts.kind ?? 'manual';
  const now = opts.now ?? new Date();
  const root = backupsRoot(emily);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  fs.chmodSync(root, 0o700);
  const dir = userDir(emily, user.id);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  sweepInterrupted(dir);
  const base = `${stamp(now)}-${kind}`;
  const file = path.join(dir, `${base}.dump`);
  if (fs.existsSync(file)) throw new EmilyError('CONFLICT', `a backup ${user.id}/${base} already exists`);
  const r = await exportUser(emily, user.id, file, { format: 'custom', compress: 1, onProgress: opts.onProgress, signal: opts.signal, frozen: opts.frozen });
  const meta: Meta = { userId: user.id, displayName: user.displayName, kind, createdAt: now.toISOString(), bytes: r.bytes, schemaVersion: r.schemaVersion, sha256: await fileSha256(file) };
  const metaFile = path.join(dir, `${base}.json`);
  try {
    fs.writeFileSync(`${metaFile}.tmp`, JSON.stringify(meta, null, 2), { mode: 0o600 });
    fs.renameSync(`${metaFile}.tmp`, metaFile);
  } catch (e) {
    // A dump without its description is no backup: nothing is left half-made.
    for (const f of [`${metaFile}.tmp`, file]) {
      try {
        fs.rmSync(f, { force: true });
      } catch {
        // not a file we made
      }
    }
    const full = (e as NodeJS.ErrnoException).code === 'ENOSPC' || isDiskFull(e);
    throw new EmilyError(full ? 'DISK_FULL' : 'INTERNAL', `no backup was made: its description could not be written (${(e as Error).message})${full ? '; free some space and try again' : ''}`, { cause: e });
  }
  return toInfo(dir, base, meta);
}

/** How long a file of an unfinished backup must have been left untouched before it counts as debris (a running pg_dump writes steadily). */
export const INTERRUPTED_AFTER_MS = 3600_000;

/**
 * Removes what killed backups left in a user's folder: pg_dump's hidden partial files, and
 * dumps whose description was never written. Young ones may belong to a backup running in
 * another process and are left alone.
 */
export function sweepInterrupted(dir: string, now = new Date()): string[] {
  const removed: string[] = [];
  if (!fs.existsSync(dir)) return removed;
  const names = fs.readdirSync(dir);
  for (const f of names) {
    const partial = /^\..+\.partial$/.test(f) || /\.json\.tmp$/.test(f);
    const orphan = NAME.test(f) && !names.includes(f.replace(/\.dump$/, '.json'));
    if (!partial && !orphan) continue;
    const file = path.join(dir, f);
    try {
      if (now.getTime() - fs.statSync(file).mtimeMs < INTERRUPTED_AFTER_MS) continue;
      fs.rmSync(file, { force: true });
      removed.push(file);
    } catch {
      // removed meanwhile
    }
  }
  return removed;
}

export function listBackups(emily: Emily, opts: { userId?: string } = {}): BackupInfo[] {
  const root = backupsRoot(emily);
  if (!fs.existsSync(root)) return [];
  const users = opts.userId ? [assertUserId(opts.userId)] : fs.readdirSync(root).filter((d) => /^[a-z][a-z0-9]{11}$/.test(d));
  const out: BackupInfo[] = [];
  for (const u of users) {
    const dir = path.join(root, u);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      const m = NAME.exec(f);
      if (!m) continue;
      const base = f.slice(0, -'.dump'.length);
      const metaFile = path.join(dir, `${base}.json`);
      if (!fs.existsSync(metaFile)) continue;
      try {
        const meta = MetaSchema.parse(JSON.parse(fs.readFileSync(metaFile, 'utf8')));
        // A description naming another profile than its folder is not believed.
        if (meta.userId === u) out.push(toInfo(dir, base, meta));
      } catch {
        // an unreadable or damaged description: the backup is not listed (and not deleted)
      }
    }
  }
  return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

function toInfo(dir: string, base: string, meta: Meta): BackupInfo {
  return {
    id: `${meta.userId}/${base}`,
    userId: meta.userId,
    displayName: meta.displayName,
    kind: meta.kind,
    createdAt: new Date(meta.createdAt),
    file: path.join(dir, `${base}.dump`),
    bytes: meta.bytes,
    schemaVersion: meta.schemaVersion,
    sha256: meta.sha256,
  };
}

const BACKUP_ID = /^([a-z][a-z0-9]{11})\/(\d{8}T\d{9}Z-(?:scheduled|manual))$/;

function parseBackupId(id: string): { userId: string; base: string } {
  const m = BACKUP_ID.exec(id);
  if (!m) throw new EmilyError('BAD_INPUT', `"${id.slice(0, 80)}" is not a backup id; "emily backups list" shows them (form <user>/<time>-<kind>)`);
  return { userId: m[1]!, base: m[2]! };
}

export function findBackup(emily: Emily, id: string): BackupInfo {
  const { userId, base } = parseBackupId(id);
  const hit = listBackups(emily, { userId }).find((b) => b.id === id);
  if (hit) return hit;
  // Not listed because its description is damaged: the dump itself may be whole, and says so.
  const dump = path.join(userDir(emily, userId), `${base}.dump`);
  if (fs.existsSync(dump) && fs.existsSync(dump.replace(/\.dump$/, '.json'))) {
    throw new EmilyError('INVALID_DUMP', `the description of backup ${id} (${dump.replace(/\.dump$/, '.json')}) is damaged, so it is not listed; its dump is still there: "emily import ${dump}" checks it and brings it back as a new profile`);
  }
  throw new EmilyError('NOT_FOUND', `no backup ${id}; "emily backups list" shows the backups`);
}

export function removeBackup(b: BackupInfo): void {
  fs.rmSync(b.file, { force: true });
  fs.rmSync(b.file.replace(/\.dump$/, '.json'), { force: true });
}

/**
 * Deletes one backup, its dump and its description, also when the description is damaged
 * (such a backup is not listed, but it is still the user's data on disk). Works for the
 * backups of a deleted profile, which stay unless it was deleted with its backups.
 */
export function deleteBackup(emily: Emily, id: string): void {
  const { userId, base } = parseBackupId(id);
  const dump = path.join(userDir(emily, userId), `${base}.dump`);
  const meta = path.join(userDir(emily, userId), `${base}.json`);
  if (!fs.existsSync(dump) && !fs.existsSync(meta)) throw new EmilyError('NOT_FOUND', `no backup ${id}; "emily backups list" shows the backups`);
  // The description goes first: a dump without one is an interrupted backup, swept later.
  fs.rmSync(meta, { force: true });
  fs.rmSync(dump, { force: true });
  removeFolderIfEmpty(userDir(emily, userId));
}

function removeFolderIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}

/** Removes every backup of a user (their folder). */
export function removeUserBackups(emily: Emily, userId: string): number {
  const n = listBackups(emily, { userId }).length;
  fs.rmSync(userDir(emily, userId), { recursive: true, force: true });
  return n;
}

/** A backup whose bytes changed since it was written is refused before it is restored. */
export async function assertIntact(b: BackupInfo): Promise<void> {
  if (!fs.existsSync(b.file)) throw new EmilyError('NOT_FOUND', `the backup file ${b.file} is missing`);
  if ((await fileSha256(b.file)) !== b.sha256) throw new EmilyError('INVALID_DUMP', `the backup ${b.id} is damaged (its checksum changed since it was written); choose another backup`);
}
