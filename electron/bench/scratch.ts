import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Emily, type EmilyOptions } from '../core/emily.js';

/**
 * Benchmarks run in a scratch data folder with their own server, so they never touch a
 * user's Emily, and remove it all afterwards.
 */
export async function withScratchEmily<T>(opts: Omit<EmilyOptions, 'home'>, fn: (emily: Emily) => Promise<T>): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-bench-'));
  let emily: Emily | undefined;
  try {
    emily = await Emily.open({ ...opts, home });
    return await fn(emily);
  } finally {
    await emily?.close({ stopServer: true }).catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export function progress(message: string): void {
  if (process.stderr.isTTY || process.env.EMILY_PROGRESS) process.stderr.write(`${message}\n`);
}
