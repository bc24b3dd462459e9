import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';

// Fastify's own JSON parser decodes bodies leniently, turning invalid UTF-8 into U+FFFD, so a
// corrupted message would be stored as if the user had typed replacement characters. Refuse
// such a body; the parsing itself stays Fastify's (prototype-poisoning checks).
export function useStrictJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(Object.assign(new Error('the body is not valid UTF-8'), { statusCode: 400 }), undefined);
    const text = bytes.toString('utf8');
    if (nestsDeeperThan(text, MAX_DEPTH)) return done(Object.assign(new Error(`the body nests deeper than ${MAX_DEPTH} levels`), { statusCode: 400 }), undefined);
    parseJson(req, text, done);
  });
}

/** No request of the API nests past a handful of levels; megabytes of [[[[… take seconds to parse, on the thread every request shares. */
const MAX_DEPTH = 64;

/** A linear scan of brackets outside strings: milliseconds for the largest body allowed. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
