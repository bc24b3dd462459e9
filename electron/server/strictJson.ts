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
    parseJson(req, bytes.toString('utf8'), done);
  });
}
