import lockfile from 'proper-lockfile';
import { EmilyError } from '../core/errors.js';

/**
 * Serialises what must not run twice at once in one data folder: the first initdb and the
 * server's start (two first launches at once, say the desktop app and a CLI command). The
 * lock is a directory next to the home, kept fresh while held and taken over when its
 * holder died (stale after 20 s). The second process then finds the server running and
 * attaches to it.
 */
export async function withHomeLock<T>(home: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(home, { lockfilePath: `${home}/setup.lock`, realpath: false, stale: 20_000, update: 5_000, retries: { retries: 240, minTimeout: 100, maxTimeout: 500 } });
  } catch (e) {
    throw new EmilyError('CLUSTER_START_FAILED', `another Emily process has been setting up ${home} for too long; if none is running, remove ${home}/setup.lock and try again`, { cause: e });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
