import pLimit from 'p-limit';
import { toEmilyError, type WireError } from '../core/errors.js';
import type { UserRecord } from './catalog.js';

export interface PerUserResult<T> {
  userId: string;
  displayName: string;
  server: string;
  ok: boolean;
  value?: T;
  error?: WireError;
}

/**
 * Runs fn over many user databases with bounded concurrency. One database failing does
 * not stop the others; every database gets its own line in the report.
 */
export async function forEachUser<T>(users: UserRecord[], fn: (u: UserRecord) => Promise<T>, opts: { concurrency?: number } = {}): Promise<PerUserResult<T>[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4));
  return Promise.all(
    users.map((u) =>
      limit(async (): Promise<PerUserResult<T>> => {
        const base = { userId: u.id, displayName: u.displayName, server: u.server };
        try {
          return { ...base, ok: true, value: await fn(u) };
        } catch (e) {
          const err = toEmilyError(e);
          return { ...base, ok: false, error: { code: err.code, message: err.message } };
        }
      }),
    ),
  );
}
