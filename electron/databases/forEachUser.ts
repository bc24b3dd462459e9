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
 * Runs fn over many user databases with bounded concurrency per server (each server gets
 * at most `concurrency` at once, so one slow or down server does not hold up the others).
 * One database failing does not stop the others; every database gets its own line in the
 * report, in the order of `users`.
 */
export interface ForEachOptions {
  concurrency?: number;
  /** Once before the first database (done 0, no result), then after each, in the order they finish. */
  onEach?: (done: number, total: number, result?: PerUserResult<unknown>) => void;
}

export async function forEachUser<T>(users: UserRecord[], fn: (u: UserRecord) => Promise<T>, opts: ForEachOptions = {}): Promise<PerUserResult<T>[]> {
  const n = Math.max(1, opts.concurrency ?? 4);
  let done = 0;
  opts.onEach?.(0, users.length);
  const limits = new Map<string, ReturnType<typeof pLimit>>();
  const limitFor = (server: string) => {
    let l = limits.get(server);
    if (!l) limits.set(server, (l = pLimit(n)));
    return l;
  };
  return Promise.all(
    users.map((u) =>
      limitFor(u.server)(async (): Promise<PerUserResult<T>> => {
        const base = { userId: u.id, displayName: u.displayName, server: u.server };
        let r: PerUserResult<T>;
        try {
          r = { ...base, ok: true, value: await fn(u) };
        } catch (e) {
          const err = toEmilyError(e);
          r = { ...base, ok: false, error: { code: err.code, message: err.message } };
        }
        opts.onEach?.(++done, users.length, r);
        return r;
      }),
    ),
  );
}
