import { EmilyError } from './errors.js';

/**
 * The base address of a model or embedding server, checked. A user name or password in it
 * would be sent with every request, printed in errors and kept wherever the address is kept
 * (settings, a turn's record of why the model failed, and so exports): refused, with the way
 * Emily keeps keys instead. Errors never repeat the address.
 */
export function serverUrl(raw: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new EmilyError('BAD_INPUT', `the ${what} address is not a URL; give its base URL, e.g. http://127.0.0.1:11434/v1`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new EmilyError('BAD_INPUT', `the ${what} is reached over http:// or https://, not ${u.protocol}`);
  if (hasCredentials(u)) throw new EmilyError('BAD_INPUT', `the ${what} address holds a user name or password; give the address without it, and the key as the API key (EMILY_API_KEY for the CLI), which Emily keeps in her key store`);
  return u;
}

export function hasCredentials(u: URL | string): boolean {
  try {
    const url = typeof u === 'string' ? new URL(u) : u;
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}
