import { describe, expect, it } from 'vitest';
import { CATALOG_DATABASE } from '../../electron/core/ids.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { raw } from '../support/http.js';
import { cookieToken, PASSWORD, useServerMode } from '../support/serverMode.js';

const s = useServerMode({ sessionTtlMs: 60 * 60_000, rateLimit: { authPerMinute: 100 }, socketCheckMs: 200 });
const catalog = <T>(fn: (c: import('pg').ClientBase) => Promise<T>) => withAdminClient(s.t.emily.cluster.admin(), CATALOG_DATABASE, fn);
const login = (username: string, password: string, headers: Record<string, string> = {}) =>
  raw(s.server.port, { method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json', origin: s.origin(), ...headers }, body: JSON.stringify({ username, password }) });

describe('server mode: accounts and sessions', () => {
  it('signs up into an own profile (database + role), stores only a scrypt hash and a token hash', async () => {
    const a = await s.signup('acct-alice');
    const user = await s.t.emily.catalog.get(a.profileId);
    expect(user.status).toBe('ready');
    expect(user.dbName).toBe(`emily_u_${a.profileId}`);
    const row = await catalog(async (c) => (await c.query('SELECT username, password_hash FROM accounts WHERE user_id = $1', [a.profileId])).rows[0]);
    expect(row.username).toBe('acct-alice');
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    const sessions = await catalog(async (c) => (await c.query('SELECT token_hash, expires_at FROM sessions WHERE user_id = $1', [a.profileId])).rows);
    expect(sessions).toHaveLength(1);
    expect(sessions[0].token_hash).not.toBe(a.token);
    expect(sessions[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(sessions[0].expires_at).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    const me = await a.request({ path: '/auth/me' });
    expect(me.json()).toEqual({ ok: true, value: { username: 'acct-alice', profileId: a.profileId } });
    const list = await a.call<{ profiles: { id: string }[]; currentId: string }>('profiles.list');
    expect(list.value).toMatchObject({ currentId: a.profileId, profiles: [{ id: a.profileId, name: 'acct-alice' }] });
  });

  it('sets an HttpOnly SameSite=Strict cookie; two salts for the same password differ', async () => {
    const r = await raw(s.server.port, { method: 'POST', path: '/auth/signup', headers: { 'content-type': 'application/json', origin: s.origin() }, body: JSON.stringify({ username: 'acct-bob', password: PASSWORD }) });
    expect(r.status).toBe(201);
    const setCookie = r.headers['set-cookie']!.join(';');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(r.text).not.toContain(cookieToken(r));
    const id = r.json<{ value: { profileId: string } }>().value.profileId;
    const hashes = await catalog(async (c) => (await c.query<{ password_hash: string }>("SELECT password_hash FROM accounts WHERE username IN ('acct-alice', 'acct-bob')")).rows.map((x) => x.password_hash));
    expect(new Set(hashes).size).toBe(2);
    await s.server.accounts.remove(id);
  });

  it('refuses a taken username, a short password and a malformed username, creating nothing', async () => {
    // Other test files share the catalog and add users meanwhile, so count only these names.
    const names = ['acct-alice', 'acct-carol', 'a b', 'x'.repeat(41)];
    const made = () =>
      catalog(async (c) => (await c.query('SELECT (SELECT count(*)::int FROM users WHERE display_name = ANY ($1)) AS users, (SELECT count(*)::int FROM accounts WHERE username = ANY ($1)) AS accounts', [names])).rows[0]);
    expect(await made()).toEqual({ users: 1, accounts: 1 });
    for (const body of [{ username: 'acct-alice', password: PASSWORD }, { username: 'acct-carol', password: 'short' }, { username: 'a b', password: PASSWORD }, { username: 'x'.repeat(41), password: PASSWORD }, [1, 2]]) {
      const r = await raw(s.server.port, { method: 'POST', path: '/auth/signup', headers: { 'content-type': 'application/json', origin: s.origin() }, body: JSON.stringify(body) });
      expect([400, 409]).toContain(r.status);
      expect(r.json().ok).toBe(false);
    }
    expect(await made()).toEqual({ users: 1, accounts: 1 });
  });

  it('logs in with the right password only; unknown users and wrong passwords get the same answer', async () => {
    const wrong = await login('acct-alice', 'not the password at all');
    const unknown = await login('acct-nobody', PASSWORD);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    // A password typed into the name box is no account's name: it never reaches the log.
    await login('hunter2-typed-in-the-name-box', 'x'.repeat(12));
    expect(s.log).toContain('"username":"acct-alice","msg":"sign-in failed"');
    expect(s.log).toContain('"unknownUsername":true');
    expect(s.log).not.toContain('hunter2');
    expect(s.log).not.toContain('acct-nobody');
    const ok = await login('ACCT-Alice ', PASSWORD);
    expect(ok.status).toBe(200);
    const token = cookieToken(ok);
    const c = s.client('acct-alice', ok.json<{ value: { profileId: string } }>().value.profileId, token);
    expect((await c.call('system.info')).ok).toBe(true);
  });

  it('logout ends that session (also for a cached lookup); others stay signed in', async () => {
    const one = await login('acct-alice', PASSWORD);
    const two = await login('acct-alice', PASSWORD);
    const id = one.json<{ value: { profileId: string } }>().value.profileId;
    const a = s.client('acct-alice', id, cookieToken(one));
    const b = s.client('acct-alice', id, cookieToken(two));
    expect((await a.call('system.info')).ok).toBe(true);
    const out = await a.request({ method: 'POST', path: '/auth/logout', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(out.status).toBe(200);
    expect(out.headers['set-cookie']!.join(';')).toMatch(/emily_session=;.*Max-Age=0/);
    const after = await a.post('system.info', '{}');
    expect(after.status).toBe(401);
    expect(after.json().error?.code).toBe('UNAUTHORIZED');
    expect((await b.call('system.info')).ok).toBe(true);
  });

  it("a session's event socket closes when that session ends (sign-out, expiry); other sessions' stay open", async () => {
    const sessionOf = async () => {
      const r = await login('acct-alice', PASSWORD);
      return s.client('acct-alice', r.json<{ value: { profileId: string } }>().value.profileId, cookieToken(r));
    };
    const closed = (ws: import('ws').WebSocket) => new Promise<number>((res) => ws.once('close', (code) => res(code)));
    const [one, two, three] = [await sessionOf(), await sessionOf(), await sessionOf()];
    const [s1, s2, s3] = [await one.socket(), await two.socket(), await three.socket()];
    const c1 = closed(s1.ws);
    await one.request({ method: 'POST', path: '/auth/logout', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await c1).toBe(1008);
    const { createHash } = await import('node:crypto');
    const c3 = closed(s3.ws);
    await catalog((cl) => cl.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [createHash('sha256').update(three.token).digest('hex')]));
    (s.server.sessions as unknown as { cache: Map<string, unknown> }).cache.clear();
    expect(await c3).toBe(1008);
    await new Promise((res) => setTimeout(res, 500));
    expect(s2.ws.readyState).toBe(s2.ws.OPEN);
    s2.ws.close();
  });

  it('an expired session is refused', async () => {
    const r = await login('acct-alice', PASSWORD);
    const token = cookieToken(r);
    const c = s.client('acct-alice', r.json<{ value: { profileId: string } }>().value.profileId, token);
    const { createHash } = await import('node:crypto');
    await catalog((cl) => cl.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [createHash('sha256').update(token).digest('hex')]));
    // The lookup cache would still know it: a fresh server process would not. Drop the cache as a restart does.
    (s.server.sessions as unknown as { cache: Map<string, unknown> }).cache.clear();
    expect((await c.post('system.info', '{}')).status).toBe(401);
    expect(await s.server.sessions.purgeExpired()).toBeGreaterThanOrEqual(1);
  });

  it('the app page sends a visitor without a session to the sign-in page', async () => {
    const r = await raw(s.server.port, { path: '/' });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login');
    const page = await raw(s.server.port, { path: '/login' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script src="/login.js">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('every route but the public ones needs a session, however its address is spelled (%xx)', async () => {
    const origin = s.origin();
    const post = (p: string, body = '{}') => raw(s.server.port, { method: 'POST', path: p, headers: { 'content-type': 'application/json', origin }, body });
    for (const p of ['/api/portability.backups', '/%61pi/portability.backups', '/%61%70%69/system.info', '/api/%73ystem.info', '/%61uth/logout']) {
      const r = await post(p);
      expect(r.status, p).toBe(401);
      expect(r.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
    for (const p of ['/%61uth/me', '/%66iles/abc', '/%61pi/events']) expect((await raw(s.server.port, { path: p })).status, p).toBe(401);
    const upload = await raw(s.server.port, { method: 'PUT', path: '/%66iles', headers: { 'content-type': 'application/octet-stream', origin }, body: Buffer.from('x') });
    expect(upload.status).toBe(401);
    const page = await raw(s.server.port, { path: '/%69ndex.html' });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login');
    // The public routes stay public, spelled either way.
    expect((await raw(s.server.port, { path: '/%6cogin' })).status).toBe(200);
  });

  it('answers only to its own names (Host), so a site whose name was pointed at 127.0.0.1 cannot drive it', async () => {
    const evil = `rebind.attacker.example:${s.server.port}`;
    const r = await raw(s.server.port, { method: 'POST', path: '/auth/signup', headers: { 'content-type': 'application/json', host: evil, origin: `http://${evil}` }, body: JSON.stringify({ username: 'acct-rebind', password: PASSWORD }) });
    expect(r.status).toBe(421);
    expect(r.json().error?.message).toMatch(/--public-host/);
    expect(await catalog(async (c) => (await c.query("SELECT count(*)::int AS n FROM accounts WHERE username = 'acct-rebind'")).rows[0].n)).toBe(0);
    for (const host of [`localhost:${s.server.port}`, `127.0.0.1:${s.server.port}`]) expect((await raw(s.server.port, { path: '/login', headers: { host } })).status, host).toBe(200);
    const { HostNames } = await import('../../electron/server/hostNames.js');
    const named = new HostNames({ listen: '127.0.0.1', port: 8080, publicHosts: ['Emily.Example.com'] });
    expect(['emily.example.com', 'emily.example.com:443', '127.0.0.1:8080', '[::1]:8080'].map((h) => named.allows(h))).toEqual([true, true, true, true]);
    expect(['evil.example', '127.0.0.1:8081', '10.0.0.5:8080', undefined].map((h) => named.allows(h))).toEqual([false, false, false, false]);
  });

  it('a cookie request from another site is refused (Origin), a bearer header works without Origin', async () => {
    const r = await login('acct-alice', PASSWORD);
    const token = cookieToken(r);
    const foreign = await raw(s.server.port, { method: 'POST', path: '/api/system.info', headers: { 'content-type': 'application/json', origin: 'http://evil.example', cookie: `emily_session=${token}` }, body: '{}' });
    expect(foreign.status).toBe(403);
    const noOrigin = await raw(s.server.port, { method: 'POST', path: '/api/system.info', headers: { 'content-type': 'application/json', cookie: `emily_session=${token}` }, body: '{}' });
    expect(noOrigin.status).toBe(403);
    const header = await raw(s.server.port, { method: 'POST', path: '/api/system.info', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
    expect(header.status).toBe(200);
    expect(header.json<{ value: { mode: string; dataHome: string; pgdata: string } }>().value).toMatchObject({ mode: 'server', dataHome: '', pgdata: '' });
  });
});
