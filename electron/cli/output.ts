import { EmilyError, toEmilyError, type ErrorCode } from '../core/errors.js';

export interface OutputOptions {
  json?: boolean;
}

/** One JSON document on stdout with --json; readable text otherwise. */
export function emit(opts: OutputOptions, value: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

const EXIT: Partial<Record<ErrorCode, number>> = { BAD_INPUT: 2, NOT_FOUND: 3, CONFLICT: 4, UNSAFE_DUMP: 5, INVALID_DUMP: 5 };

/** Reports an error (as JSON too with --json) and returns the process exit code. */
export function reportError(opts: OutputOptions, e: unknown, how: { quiet?: boolean } = {}): number {
  const err = toEmilyError(e);
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: err.code, message: err.message } })}\n`);
  if (!how.quiet) process.stderr.write(`emily: ${err.message}\n`);
  if (err.code === 'INTERNAL' && process.env.EMILY_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  return EXIT[err.code] ?? 1;
}

export function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/**
 * Progress over many databases, on stderr (stdout stays one JSON document): at most four
 * lines a second, and always the last; only for a terminal or with EMILY_PROGRESS set.
 */
export function databaseProgress(what: string): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 250 && done !== total) return;
    last = now;
    if (process.stderr.isTTY || process.env.EMILY_PROGRESS) process.stderr.write(`${what} ${done}/${total} databases\n`);
  };
}

/** A whole-number option of at least 1 ("--concurrency 4"), or a clear BAD_INPUT. */
export function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new EmilyError('BAD_INPUT', `${flag} must be a whole number of at least 1`);
  return n;
}
