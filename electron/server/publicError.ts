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

/** Absolute paths (after a space, a quote, a bracket, "=" or ":", and not a URL's "//") as their last part. */
export function withoutServerPaths(message: string): string {
  return message.replace(/(^|[\s("'`=:[])(\/[^/\s"'`)\],;]+(?:\/[^/\s"'`)\],;]*)*)/g, (_m, before: string, p: string) => {
    const parts = p.split('/').filter(Boolean);
    return `${before}${parts.length ? parts[parts.length - 1]! : '/'}`;
  });
}
