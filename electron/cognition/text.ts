import { EmilyError } from '../core/errors.js';

/** A turn may be long (a pasted document); beyond this it is refused, not cut silently. */
export const MAX_TURN_CHARS = 1_048_576;
export const MAX_MEMORY_CHARS = 4000;
export const MAX_QUERY_CHARS = 10_000;

/**
 * Makes untrusted text storable: PostgreSQL text cannot hold NUL, and lone surrogates do
 * not survive UTF-8, so both are removed (with other C0 controls except tab and newlines).
 * Any script is kept as it is (NFC-normalised).
 */
export function cleanText(value: unknown, what: string, max: number, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw new EmilyError('BAD_INPUT', `${what} must be text`);
  // eslint-disable-next-line no-control-regex
  let s = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
  s = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '').normalize('NFC').trim();
  if (!s && !opts.allowEmpty) throw new EmilyError('BAD_INPUT', `${what} is empty; write something first`);
  if (s.length > max) throw new EmilyError('BAD_INPUT', `${what} is ${s.length} characters long; the limit is ${max}, split it into smaller parts`);
  return s;
}

export function positiveId(value: unknown, what = 'id'): number {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw new EmilyError('BAD_INPUT', `${what} must be a positive whole number`);
  return n;
}

export function sentences(text: string, limit = 200): string[] {
  const out: string[] = [];
  for (const part of text.split(/(?<=[.!?。！？])\s+|\n+/u)) {
    const s = part.trim();
    if (s) out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
