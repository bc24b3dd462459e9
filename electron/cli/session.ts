import { Emily, type EmilyOptions } from '../core/emily.js';

/**
 * Opens the core for one command: attaches to a running server (desktop app, another
 * command) or starts one, and stops it afterwards only if it started it.
 */
export async function withEmily<T>(fn: (emily: Emily) => Promise<T>, opts: EmilyOptions = {}): Promise<T> {
  const emily = await Emily.open(opts);
  const stop = () => void emily.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(emily);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await emily.close();
  }
}
