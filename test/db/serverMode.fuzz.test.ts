import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../electron/api/adapters/chatService.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { portabilityService } from '../../electron/api/adapters/portabilityService.js';
import { apiContract } from '../../electron/api/contract/index.js';
import { ERROR_CODES } from '../../electron/core/errors.js';
import { raw } from '../support/http.js';
import { useServerMode, type ServerClient } from '../support/serverMode.js';

/**
 * Issue 7, requirement 4: hostile input against the HTTP API. Thousands of generated
 * requests (contract method names and made-up ones, bodies of the wrong shape and type,
 * malformed JSON, invalid UTF-8, oversized payloads, random headers, cookies and paths)
 * from account A: every answer is a JSON error (or a valid answer for a valid request),
 * the server stays up, and account B's database is unchanged to the byte.
 */
const s = useServerMode({
  services: (emily) => ({ memory: memoryService(emily), chat: chatService(emily), portability: portabilityService(emily) }),
  bodyLimit: 256 * 1024,
  uploadLimit: 256 * 1024,
  rateLimit: { apiPerMinute: 1_000_000, authPerMinute: 1_000_000 },
});
let a: ServerClient;
let b: ServerClient;

const METHODS = Object.keys(apiContract);
/** Heavy valid calls (pg_dump) are left to their own tests; everything else may be hit. */
const SLOW = new Set(['portability.backupNow', 'portability.export', 'health.repair']);
const fieldsOf = (m: string): string[] =>
  Object.prototype.hasOwnProperty.call(apiContract, m) ? Object.keys((apiContract as Record<string, { input: { shape?: Record<string, unknown> } }>)[m]!.input.shape ?? {}) : [];

const interesting = fc.constantFrom(
  '', ' ', '1', '0', '-1', '9'.repeat(30), 'NaN', 'null', 'true', '__proto__', 'constructor', '\u0000', '\ud800', '\uffff', '😀', "'; DROP TABLE memories; --",
  '../../etc/passwd', '/etc/passwd', 'f_AAAAAAAAAAAAAAAAAAAAAA', 'abcdefghijkl', 'opid-1234567', 'http://127.0.0.1:5432/', 'L3', 'all', 'fact', 'dump', 'chat-history',
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    interesting,
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const methodName = fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'chat', 'memory.', '.', 'a'.repeat(300)));
const shapedBody = (m: string) => {
  const fields = fieldsOf(m);
  return fields.length ? fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 6 })), value, { maxKeys: fields.length + 1 }) : fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 2 });
};

type Case = { method: string; httpMethod: string; body: string | Buffer; contentType: string | null; cookie: 'own' | 'none' | 'garbage'; extraHeaders: Record<string, string> };

const apiCase: fc.Arbitrary<Case> = methodName.chain((method) =>
  fc.record({
    method: fc.constant(method),
    httpMethod: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
    body: fc.oneof(
      shapedBody(method).map((o) => JSON.stringify(o)),
      value.map((v) => JSON.stringify(v) ?? 'undefined'),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
      fc.constantFrom('{', '{"a":', '[]', '{"__proto__":{"ok":true}}', '{"constructor":{"prototype":{}}}', '\u0000', '{"operationId":"x".repeat(10)}'),
      fc.integer({ min: 200 * 1024, max: 600 * 1024 }).map((n) => `{"query":"${'x'.repeat(n)}"}`),
      fc.constant(Buffer.from([0x7b, 0x22, 0x71, 0x75, 0x65, 0x72, 0x79, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])),
    ),
    contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=latin1', null, 'multipart/form-data; boundary=x'),
    cookie: fc.constantFrom('own', 'own', 'own', 'own', 'none', 'garbage'),
    extraHeaders: fc.dictionary(fc.constantFrom('x-forwarded-for', 'x-emily-token', 'accept', 'accept-encoding', 'x-custom', 'range', 'if-none-match', 'expect'), fc.stringMatching(/^[ -~]{0,40}$/), { maxKeys: 3 }),
  }),
);

async function checksum(userId: string): Promise<string> {
  return s.t.emily.withUser(userId, async (c) => {
    const tables = (await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.t);
    const parts: string[] = [];
    for (const t of tables) {
      const r = await c.query<{ n: number; h: string | null }>(`SELECT count(*)::int AS n, md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM ${c.escapeIdentifier(t)} x`);
      parts.push(`${t}:${r.rows[0]!.n}:${r.rows[0]!.h}`);
    }
    return parts.join('|');
  });
}

function expectJsonAnswer(status: number, text: string, label: string): { ok: boolean; error?: { code: string } } {
  let body: { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${label}: answered ${status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  if (status >= 200 && status < 300) {
    expect(body.ok, label).toBe(true);
  } else {
    expect(status, label).toBeGreaterThanOrEqual(400);
    expect(status, label).toBeLessThan(600);
    expect(body.ok, label).toBe(false);
    expect(ERROR_CODES, label).toContain(body.error?.code);
    expect(typeof body.error?.message, label).toBe('string');
  }
  // A crash inside a handler is a bug, however odd the input.
  expect(body.error?.code, `${label}: ${String(body.error?.message)}`).not.toBe('INTERNAL');
  return body as { ok: boolean; error?: { code: string } };
}

beforeAll(async () => {
  a = await s.signup('fuzz-anna');
  b = await s.signup('fuzz-bruno');
  for (const text of ['My sister Ines lives in Lisbon.', 'I prefer green tea in the evening.']) {
    expect((await b.call('chat.send', { operationId: `b-${Math.random().toString(36).slice(2, 12)}`, conversationId: null, text })).ok).toBe(true);
  }
});

describe('server mode: fuzzing the HTTP API', () => {
  it('thousands of hostile API requests: JSON errors only, server up, the other account untouched', async () => {
    const before = await checksum(b.profileId);
    let valid = 0;
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(apiCase, async (c) => {
        if (SLOW.has(c.method) && c.httpMethod === 'POST') return;
        cases++;
        const headers: Record<string, string> = { origin: s.origin(), ...c.extraHeaders };
        if (c.contentType) headers['content-type'] = c.contentType;
        if (c.cookie === 'own') headers.cookie = `emily_session=${a.token}`;
        if (c.cookie === 'garbage') headers.cookie = `emily_session=${Buffer.from(c.method).toString('base64')}; x=${c.method.length}`;
        const r = await raw(s.server.port, { method: c.httpMethod, path: `/api/${encodeURIComponent(c.method)}`, headers, body: c.httpMethod === 'GET' ? undefined : c.body });
        const label = `${c.httpMethod} ${c.method.slice(0, 40)} ${String(c.body).slice(0, 80)}`;
        if (r.status === 404 && c.httpMethod !== 'POST') {
          expect(r.text).toMatch(/^\{/);
          return;
        }
        const answer = expectJsonAnswer(r.status, r.text, label);
        if (Buffer.isBuffer(c.body) && c.contentType?.startsWith('application/json') && !isUtf8(c.body)) expect(answer.ok, `${label}: invalid UTF-8 accepted`).toBe(false);
        if (answer.ok) valid++;
      }),
      { numRuns: 4000, seed: Number(process.env.FUZZ_SEED ?? 7) },
    );
    expect(cases).toBeGreaterThan(3500);
    // Some generated requests are valid: the property saw both kinds.
    expect(valid).toBeGreaterThan(0);
    expect((await raw(s.server.port, { path: '/healthz' })).json()).toEqual({ ok: true, value: { status: 'up' } });
    expect((await a.call('system.info')).ok).toBe(true);
    expect(await checksum(b.profileId)).toBe(before);
  });

  it('a well-formed call whose text is invalid UTF-8 is refused, and nothing of it is stored', async () => {
    const before = await checksum(a.profileId);
    const body = Buffer.concat([Buffer.from('{"operationId":"utf8-bad-1","conversationId":null,"text":"hi '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
    const r = await raw(s.server.port, { method: 'POST', path: '/api/chat.send', headers: { origin: s.origin(), 'content-type': 'application/json', cookie: `emily_session=${a.token}` }, body });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('UTF-8') } });
    expect(await checksum(a.profileId)).toBe(before);
    const fine = Buffer.from(JSON.stringify({ operationId: 'utf8-good-1', conversationId: null, text: 'hi Zoë, 我的名字 ✓' }));
    const ok = await raw(s.server.port, { method: 'POST', path: '/api/chat.send', headers: { origin: s.origin(), 'content-type': 'application/json; charset=utf-8', cookie: `emily_session=${a.token}` }, body: fine });
    expect(ok.status).toBe(200);
    expect(await checksum(a.profileId)).not.toBe(before);
  });

  it('a body nested hundreds of levels deep is refused before it is parsed; brackets inside text are only text', async () => {
    const headers = { origin: s.origin(), 'content-type': 'application/json', cookie: `emily_session=${a.token}` };
    const deep = `{"query":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await raw(s.server.port, { method: 'POST', path: '/api/memory.recall', headers, body: deep });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('nests deeper than 64') } });
    const bracketsInText = JSON.stringify({ query: `[{"${'[{'.repeat(500)}` });
    expect((await raw(s.server.port, { method: 'POST', path: '/api/memory.recall', headers, body: bracketsInText })).status).toBe(200);
  });

  it('random paths, auth bodies, uploads and raw bytes on the socket: the server answers or closes, and stays up', async () => {
    const before = await checksum(b.profileId);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.oneof(fc.constantFrom('/auth/login', '/auth/signup', '/auth/logout', '/auth/me', '/files', '/files/f_AAAAAAAAAAAAAAAAAAAAAA', '/api/events', '/healthz'), fc.webPath(), fc.string({ maxLength: 30 }).map((x) => `/${encodeURIComponent(x)}`)),
          method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'),
          body: fc.oneof(value.map((v) => JSON.stringify(v) ?? ''), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u))),
          own: fc.boolean(),
        }),
        async (c) => {
          const headers: Record<string, string> = { origin: s.origin(), 'content-type': c.path === '/files' ? 'application/octet-stream' : 'application/json' };
          if (c.own) headers.cookie = `emily_session=${a.token}`;
          // The sign-up route is fuzzed with bodies that never form a valid account.
          const body = c.path === '/auth/signup' ? JSON.stringify({ username: 'x', password: c.body.toString() }) : c.body;
          const r = await raw(s.server.port, { method: c.method, path: c.path, headers, body: c.method === 'GET' || c.method === 'HEAD' ? undefined : body });
          expect(r.status).toBeGreaterThanOrEqual(200);
          expect(r.status).toBeLessThan(600);
          if (r.status >= 400 && c.method !== 'HEAD') expect(() => JSON.parse(r.text), `${c.method} ${c.path}: ${r.text.slice(0, 100)}`).not.toThrow();
          expect(r.status, `${c.method} ${c.path}`).not.toBe(500);
        },
      ),
      { numRuns: 600, seed: 11 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
        await new Promise<void>((resolve) => {
          const sock = net.connect(s.server.port, '127.0.0.1', () => sock.end(Buffer.from(bytes)));
          sock.on('data', () => undefined);
          sock.on('error', () => resolve());
          sock.on('close', () => resolve());
          sock.setTimeout(2000, () => sock.destroy());
        });
      }),
      { numRuns: 150, seed: 13 },
    );
    expect((await raw(s.server.port, { path: '/healthz' })).status).toBe(200);
    expect((await b.call('chat.conversations')).ok).toBe(true);
    expect(await checksum(b.profileId)).toBe(before);
  });
});
