import type { FastifyInstance } from 'fastify';

// Fastify's own JSON parser decodes bodies leniently, turning invalid UTF-8 into U+FFFD, so a
// corrupted message would be stored as if the user had typed replacement characters. Decode
// strictly and refuse such a body; the parsing itself stays Fastify's (prototype-poisoning checks).
export function useStrictJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(Object.assign(new Error('the body is not valid UTF-8'), { statusCode: 400 }), undefined);
      return;
    }
    parseJson(req, text, done);
  });
}
