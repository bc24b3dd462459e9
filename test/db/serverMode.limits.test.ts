import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { raw } from '../support/http.js';
import { cookieToken, PASSWORD, useServerMode } from '../support/serverMode.js';

const s = useServerMode({ bodyLimit: 64 * 1024, uploadLimit: 256 * 1024, uploadQuota: 400 * 1024, rateLimit: { apiPerMinute: 30, authPerMinute: 8 } });
const login = (username: string, password: string) =>
  raw(s.server.port, { method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json', origin: s.origin() }, body: JSON.stringify({ username, password }) });

describe('server mode: rate limits, body limits, and no secrets in the log', () => {
  it('sign-in: a username that keeps failing is paused, then the address is limited; both answer 429 JSON', async () => {
    const a = await s.signup('lim-anna');
    await s.signup('lim-bert');
    for (let i = 0; i < 5; i++) expect((await login('lim-anna', `wrong password ${i}`)).status).toBe(401);
    const paused = await login('lim-anna', PASSWORD);
    expect(paused.status).toBe(429);
    expect(paused.json().error).toMatchObject({ code: 'BUSY', message: expect.stringContaining('failed sign-ins') });
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(0);
    const limited = await login('lim-bert', PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'BUSY', message: expect.stringContaining('too many requests') });
    // A sign-up refused by the limit creates nothing (no account, no database).
    const signup = await raw(s.server.port, { method: 'POST', path: '/auth/signup', headers: { 'content-type': 'application/json', origin: s.origin() }, body: JSON.stringify({ username: 'lim-carl', password: PASSWORD }) });
    expect(signup.status).toBe(429);
    // (Long enough for a sign-up that went on after its answer to have made the account.)
    await new Promise((r) => setTimeout(r, 2000));
    expect((await s.server.accounts.list()).map((x) => x.username)).not.toContain('lim-carl');
    // The account's session keeps working: the sign-in limit is not the API's.
    expect((await a.call('system.info')).ok).toBe(true);
  });

  it("API calls are limited per account: one account's burst leaves another's calls alone", async () => {
    const [a, b] = await Promise.all([
      (async () => s.client('lim-anna', '', cookieToken(await rawLoginBypass('lim-anna'))))(),
      (async () => s.client('lim-bert', '', cookieToken(await rawLoginBypass('lim-bert'))))(),
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await a.post('system.info', '{}')).status);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(30);
    expect(statuses).toContain(429);
    const r = await a.post('system.info', '{}');
    expect(r.status).toBe(429);
    expect(r.json().error?.code).toBe('BUSY');
    expect((await b.post('system.info', '{}')).status).toBe(200);
  });

  it('bodies over the limit answer 413 in the API error shape; sign-in bodies over 4 KiB too', async () => {
    const c = s.client('lim-bert', '', cookieToken(await rawLoginBypass('lim-bert')));
    const big = await c.post('memory.recall', JSON.stringify({ query: 'x'.repeat(100 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.json()).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('too large') } });
    const auth = await raw(s.server.port, { method: 'POST', path: '/auth/signup', headers: { 'content-type': 'application/json', origin: s.origin() }, body: JSON.stringify({ username: 'lim-x', password: 'p'.repeat(5000) }) });
    expect(auth.status).toBe(413);
    const upload = await c.request({ method: 'PUT', path: '/files?name=big.json', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(300 * 1024) });
    expect(upload.status).toBe(413);
    expect(upload.json().error?.code).toBe('BAD_INPUT');
  });

  it("an account's files waiting on the server are bounded by its quota; another account's are not touched by it", async () => {
    // Made by the operator: sign-up and API budgets of this file are spent by the tests above.
    const made = await Promise.all(['quota-ann', 'quota-bob'].map((n) => s.server.accounts.create(n, PASSWORD)));
    onTestFinished(async () => {
      for (const m of made) await s.server.accounts.remove(m.userId);
    });
    const [a, b] = await Promise.all(made.map(async (m) => s.client(m.username, m.userId, await s.server.sessions.create(m.userId))));
    const put = (c: NonNullable<typeof a>, kib: number) => c.request({ method: 'PUT', path: '/files?name=part.json', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(kib * 1024, 1) });
    expect((await put(a!, 200)).status).toBe(200);
    expect((await put(a!, 200)).status).toBe(200);
    const over = await put(a!, 10);
    expect(over.status).toBe(413);
    expect(over.json()).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringMatching(/leave room for 0 MiB of the 0 MiB each account has/) } });
    expect((await put(b!, 200)).status).toBe(200);
  });

  it('uploads that start side by side cannot pass the quota together', async () => {
    const m = await s.server.accounts.create('quota-cid', PASSWORD);
    onTestFinished(() => s.server.accounts.remove(m.userId));
    const token = await s.server.sessions.create(m.userId);
    // Both begin while the account's folder is empty (each alone fits the 400 KiB quota), then go on.
    const size = 250 * 1024;
    const started: Array<() => void> = [];
    const uploads = [0, 1].map(
      () =>
        new Promise<number>((resolve) => {
          const req = http.request(
            { host: '127.0.0.1', port: s.server.port, method: 'PUT', path: '/files?name=side.json', headers: { host: `127.0.0.1:${s.server.port}`, authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', () => resolve(413)); // the server may close the connection on a refusal mid-body
          req.write(Buffer.alloc(16 * 1024, 1));
          started.push(() => req.end(Buffer.alloc(size - 16 * 1024, 1)));
        }),
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const go of started) go();
    const statuses = await Promise.all(uploads);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(1);
    expect(statuses).toContain(413);
  });

  it('passwords, session tokens and API keys never reach the log', async () => {
    const c = s.client('lim-bert', '', cookieToken(await rawLoginBypass('lim-bert')));
    const key = 'sk-live-7f3a9c1e5b2d4f6a8c0e';
    const r = await c.call('settings.update', { languageModel: { provider: 'openai-compatible', model: 'gpt-test', baseUrl: 'https://api.example.com/v1', apiKey: key } });
    expect(r.ok).toBe(true);
    await raw(s.server.port, { method: 'POST', path: '/api/settings.get', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` }, body: '{}' });
    const log = s.log;
    expect(log).toContain('account created');
    expect(log).toContain('sign-in failed');
    expect(log).toContain('/api/settings.update');
    for (const secret of [PASSWORD, 'wrong password 0', key, c.token, ...sessionTokensSeen]) expect(log).not.toContain(secret);
  });

  it('an address that keeps presenting unknown session tokens is cut off before they cost a lookup; known sessions go on', async () => {
    const c = s.client('lim-bert', '', cookieToken(await rawLoginBypass('lim-bert')));
    expect((await c.post('settings.get', '{}')).status).toBe(200);
    const { randomBytes } = await import('node:crypto');
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) {
      const r = await raw(s.server.port, { method: 'POST', path: '/api/system.info', headers: { 'content-type': 'application/json', authorization: `Bearer ${randomBytes(32).toString('base64url')}` }, body: '{}' });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 60).every((x) => x === 401)).toBe(true);
    expect(statuses.slice(60).every((x) => x === 429)).toBe(true);
    expect((await c.post('settings.get', '{}')).status).toBe(200);
  });
});

const sessionTokensSeen: string[] = [];

/** Signs in directly through the server's own account and session stores (the IP limit is spent above). */
async function rawLoginBypass(username: string) {
  const account = (await s.server.accounts.list()).find((x) => x.username === username)!;
  const token = await s.server.sessions.create(account.userId);
  sessionTokensSeen.push(token);
  return { headers: { 'set-cookie': [`emily_session=${token}; HttpOnly`] } } as unknown as Parameters<typeof cookieToken>[0];
}
