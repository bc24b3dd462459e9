import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../core/processAlive.js';

/**
 * Server mode's uploads and downloads: one folder per server process under Emily's home
 * (not /tmp, which may be memory), each account a folder inside. What a killed server left
 * behind goes at the next start; files nobody collected are swept after maxAgeMs.
 */
export class ScratchArea {
  private constructor(
    readonly root: string,
    private readonly maxAgeMs: number,
  ) {}

  static open(home: string, opts: { maxAgeMs?: number } = {}): ScratchArea {
    const base = path.join(home, 'server-files');
    fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    for (const name of fs.readdirSync(base)) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isInteger(pid) || pid === process.pid || !processAlive(pid)) fs.rmSync(path.join(base, name), { recursive: true, force: true });
    }
    const root = path.join(base, `${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(root, { mode: 0o700 });
    return new ScratchArea(root, opts.maxAgeMs ?? 6 * 3600_000);
  }

  /** Removes files older than maxAgeMs (by last write); returns how many. */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const account of safeList(this.root)) {
      const dir = path.join(this.root, account);
      for (const f of safeList(dir)) {
        const file = path.join(dir, f);
        const st = fs.statSync(file, { throwIfNoEntry: false });
        if (st && now - st.mtimeMs > this.maxAgeMs) {
          fs.rmSync(file, { recursive: true, force: true });
          n++;
        }
      }
    }
    return n;
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Bytes of the files directly in dir (an account's uploads and exports waiting). */
export function bytesIn(dir: string): number {
  let total = 0;
  for (const f of safeList(dir)) total += fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

