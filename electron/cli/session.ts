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

/**
 * As withEmily, for a long operation that can be undone: Ctrl-C (or SIGTERM) cancels it
 * through the signal, so that it cleans up after itself, instead of ending the process.
 */
export async function withCancellable<T>(fn: (emily: Emily, signal: AbortSignal) => Promise<T>): Promise<T> {
  const emily = await Emily.open();
  const ac = new AbortController();
  const cancel = () => ac.abort();
  process.on('SIGINT', cancel);
  process.on('SIGTERM', cancel);
  try {
    return await fn(emily, ac.signal);
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    await emily.close();
  }
}
