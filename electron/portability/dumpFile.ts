import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmilyError } from '../core/errors.js';
import { processAlive } from '../core/processAlive.js';

export type DumpFormat = 'custom' | 'plain';

/** A file the user named for import: it must exist and be a regular file. */
export function regularInputFile(file: unknown, what: string): { abs: string; st: fs.Stats } {
  if (typeof file !== 'string' || !file.trim()) throw new EmilyError('BAD_INPUT', 'a file to import is required');
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new EmilyError('NOT_FOUND', `the file ${abs} does not exist; check the path`);
  }
  if (!st.isFile()) throw new EmilyError('BAD_INPUT', `${abs} is not a regular file; give the path of ${what}`);
  return { abs, st };
}

/** Opens an input file the user named: it must be an existing, non-empty, regular file. */
export function checkInputFile(file: unknown): string {
  const { abs, st } = regularInputFile(file, 'a dump file');
  if (st.size === 0) throw new EmilyError('INVALID_DUMP', `${abs} is empty; it is not a dump (was the export interrupted?)`);
  return abs;
}

/**
 * Tells a custom-format archive (magic "PGDMP") from a plain SQL dump (UTF-8 text with
 * pg_dump's header); anything else is refused before any tool sees it.
 */
export function detectFormat(file: string): DumpFormat {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(8192);
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const b = head.subarray(0, n);
  if (b.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
  if (b.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') {
    throw new EmilyError('INVALID_DUMP', `${path.basename(file)} is a zip file, not an Emily export; to import chat history use "emily import-chat"`);
  }
  const text = b.toString('utf8');
  const looksText = !b.includes(0) && !text.slice(0, Math.max(0, text.length - 4)).includes('\uFFFD');
  if (looksText && /^(\uFEFF)?--\r?\n-- PostgreSQL database dump/.test(text)) return 'plain';
  if (looksText && /^(\uFEFF)?--\r?\n-- PostgreSQL database cluster dump/.test(text)) {
    throw new EmilyError('INVALID_DUMP', `${path.basename(file)} is a pg_dumpall of a whole server, not the dump of one Emily; export the profile with "emily export"`);
  }
  throw new EmilyError('INVALID_DUMP', `${path.basename(file)} is not a pg_dump file (neither a custom-format archive nor a plain SQL dump); choose a file written by "emily export" or pg_dump`);
}

/**
 * A private (0700) working folder, removed with everything in it by `dispose`. Its name
 * carries our pid, so the folders of a process that was killed (they may hold a copy of a
 * user's whole mind) are found and removed by the next one.
 */
export function privateWorkDir(prefix: string): { dir: string; dispose: () => void } {
  sweepDeadWorkDirs(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `emily-${prefix}-${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Removes the working folders whose process no longer runs. */
export function sweepDeadWorkDirs(prefix: string): string[] {
  const pattern = new RegExp(`^emily-${prefix}-(\\d+)-[A-Za-z0-9]{6}$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir());
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? 0);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const uid = process.getuid?.();
      if (uid !== undefined && fs.lstatSync(dir).uid !== uid) continue; // only our own debris
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}


/** Copies the untrusted file so that what we check is what we restore, even if the original changes. */
export async function privateCopy(file: string, dir: string, signal?: AbortSignal): Promise<string> {
  const dest = path.join(dir, 'input.dump');
  await fs.promises.copyFile(file, dest);
  if (signal?.aborted) throw new EmilyError('CANCELLED', 'the import was cancelled');
  return dest;
}

/**
 * Output written as a hidden temporary file next to the target and renamed at the end, so a
 * crash, a cancel or a full disk never leaves a half file under the real name.
 */
export function prepareOutput(out: unknown, opts: { overwrite: boolean; outsideOf?: string }): { final: string; temp: string } {
  if (typeof out !== 'string' || !out.trim()) throw new EmilyError('BAD_INPUT', 'an output file is required (--out <file>)');
  const final = path.resolve(out);
  const dir = path.dirname(final);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new EmilyError('BAD_INPUT', `the folder ${dir} does not exist; create it or choose another output path`);
  if (opts.outsideOf && isInside(fs.realpathSync(dir), fs.realpathSync(opts.outsideOf))) {
    throw new EmilyError('BAD_INPUT', `${final} is inside Emily's data folder (${opts.outsideOf}), where it could overwrite her own files; choose a path outside it`);
  }
  if (fs.existsSync(final) && !fs.statSync(final).isFile()) throw new EmilyError('BAD_INPUT', `${final} exists and is not a regular file; choose a file path for the export`);
  if (fs.existsSync(final) && !opts.overwrite) throw new EmilyError('CONFLICT', `${final} already exists; choose another name, or replace it with --force`);
  return { final, temp: path.join(dir, `.${path.basename(final)}.${randomBytes(6).toString('hex')}.partial`) };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Moves the finished file under its name only if nothing took that name meanwhile (a hard link never replaces). */
export function placeNew(temp: string, final: string): void {
  const taken = () => new EmilyError('CONFLICT', `${final} appeared while the export was written; nothing was replaced, choose another name`);
  try {
    fs.linkSync(temp, final);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw taken();
    // A file system without hard links (a FAT-formatted stick): checked, then renamed.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    if (fs.existsSync(final)) throw taken();
    fs.renameSync(temp, final);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

export function fileSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    import('node:crypto').then(({ createHash }) => {
      const h = createHash('sha256');
      fs.createReadStream(file)
        .on('data', (d) => h.update(d))
        .on('error', reject)
        .on('end', () => resolve(h.digest('hex')));
    }, reject);
  });
}
