import { randomBytes } from 'node:crypto';
import type { WireError } from '../core/errors.js';

/**
 * An error as an account of a shared server sees it. Messages are written for the person at
 * the keyboard, and on the desktop that person owns the machine; here they do not, so the
 * server's file paths (an upload's scratch copy, the data folder, a tool's stderr) become the
 * file's own name, and an internal error, whose text may be PostgreSQL's or Node's about the
 * server itself, becomes a reference that the operator finds in the log with the details.
 */
export function publicError(e: WireError, logInternal: (ref: string, message: string) => void): WireError {
  if (e.code === 'INTERNAL') {
    const ref = randomBytes(4).toString('hex');
    logInternal(ref, e.message);
    return { code: e.code, message: `the server hit an unexpected error (reference ${ref}, logged for the operator); try again, and if it keeps happening tell the operator that reference` };
  }
  return { code: e.code, message: withoutServerPaths(e.message) };
}

/** An event whose payload carries an error (operation.failed), with that error made public. */
export function withPublicErrors<E extends { name: string; payload: unknown }>(event: E, logInternal: (ref: string, message: string) => void): E {
  const payload = event.payload as { error?: unknown } | null;
  const error = payload && typeof payload === 'object' ? payload.error : undefined;
  if (!error || typeof error !== 'object' || typeof (error as WireError).message !== 'string' || typeof (error as WireError).code !== 'string') return event;
  return { ...event, payload: { ...payload, error: publicError(error as WireError, logInternal) } };
}

/**
 * Absolute paths of two or more parts as their last part: inside quotes up to the closing
 * quote (a path may hold spaces), elsewhere up to a space. A single part such as "/v1" (the
 * end of a model server's address in a hint) is left alone, and so is a URL's "//".
 */
export function withoutServerPaths(message: string): string {
  const last = (p: string) => p.split('/').filter(Boolean).pop() ?? '/';
  return message
    .replace(/(["'`])(\/[^"'`/]+\/[^"'`]*)\1/g, (_m, q: string, p: string) => `${q}${last(p)}${q}`)
    .replace(/(^|[\s(=:[])(\/[^/\s"'`)\],;]+(?:\/[^/\s"'`)\],;]*)+)/g, (_m, before: string, p: string) => `${before}${last(p)}`);
}
