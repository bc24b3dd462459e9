import { EmilyError } from '../core/errors.js';

/**
 * A quoted string value for postgresql.conf, which reads backslash escapes (Windows paths)
 * and doubled single quotes. A line break cannot be written there at all.
 */
export function confString(value: string): string {
  if (/\p{Cc}/u.test(value)) throw new EmilyError('BAD_INPUT', `a server setting cannot hold control characters (line breaks, tabs): ${JSON.stringify(value.slice(0, 80))}; use a data folder path without them`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
