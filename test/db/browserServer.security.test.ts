import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useBrowserMode } from '../support/browserMode.js';
import { raw } from '../support/http.js';

const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-renderer-'));
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Emily</title><p>renderer</p>');

const b = useBrowserMode({ rendererDir, bodyLimit: 64 * 1024, uploadLimit: 1024 * 1024 });
afterAll(() => fs.rmSync(rendererDir, { recursive: true, force: true }));
const auth = () => ({ 'x-emily-token': b.server.token });
const origin = () => `http://127.0.0.1:${b.server.port}`;
const post = (method: string, body: unknown, headers: Record<string, string> = auth()) =>
  raw(b.server.port, { method: 'POST', path: `/api/${method}`, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

function openSocket(headers: Record<string, string>, host = `127.0.0.1:${b.server.port}`): Promise<{ ws: WebSocket; status: number | null; first?: unknown }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${b.server.port}/api/events`, { headers: { host, ...headers } });
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve({ ws, status: res.statusCode ?? null });
    });
    ws.once('message', (data) => resolve({ ws, status: 101, first: JSON.parse(String(data)) }));
    ws.once('error', () => resolve({ ws, status: null }));
  });
}

describe('browser mode: the token', () => {
  it('answers nothing without the token: API, page, files, events', async () => {
    for (const r of [await post('system.info', {}, {}), await raw(b.server.port, { path: '/' }), await raw(b.server.port, { path: '/index.html' }), await raw(b.server.port, { path: '/files/f_aaaaaaaaaaaaaaaaaaaa' })]) {
      expect(r.status).toBe(401);
      expect(r.text).not.toContain('renderer');
      expect(r.json().error?.code).toBe('UNAUTHORIZED');
    }
    const s = await openSocket({ origin: origin() });
    expect(s.status).toBe(401);
  });

  it('refuses a wrong token, in the header, the bearer, the cookie and the link', async () => {
    const wrong = b.server.token.slice(0, -2) + (b.server.token.endsWith('AA') ? 'BB' : 'AA');
    expect((await post('system.info', {}, { 'x-emily-token': wrong })).status).toBe(401);
    expect((await post('system.info', {}, { authorization: `Bearer ${wrong}` })).status).toBe(401);
    expect((await raw(b.server.port, { path: '/', headers: { cookie: `emily_token_${b.server.port}=${wrong}` } })).status).toBe(401);
    const link = await raw(b.server.port, { path: `/?token=${wrong}` });
    expect(link.status).toBe(401);
    expect(link.headers['set-cookie']).toBeUndefined();
  });

  it('answers odd paths ("//", "//x?token=…") with a refusal, not a server error', async () => {
    for (const path of ['//', '//evil.example/?token=x', '/%2F%2F', `//?token=${b.server.token}`]) {
      const r = await raw(b.server.port, { path });
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).toBeLessThan(500);
    }
    const withKey = await raw(b.server.port, { path: '//', headers: { 'x-emily-token': b.server.token } });
    expect(withKey.status).toBeLessThan(500);
  });

  it('trades the printed link for an HttpOnly, SameSite=Strict cookie and drops the token from the address', async () => {
    expect(b.server.url).toBe(`http://127.0.0.1:${b.server.port}/?token=${b.server.token}`);
    const r = await raw(b.server.port, { path: `/?token=${b.server.token}` });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain(`emily_token_${b.server.port}=${b.server.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await raw(b.server.port, { path: '/', headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('renderer');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('with the cookie alone, a write needs a same-origin Origin (no cross-site forms)', async () => {
    const cookie = `emily_token_${b.server.port}=${b.server.token}`;
    const bare = await post('background.get', {}, { cookie });
    expect(bare.status).toBe(403);
    const same = await post('background.get', {}, { cookie, origin: origin() });
    expect(same.status).toBe(200);
    expect(same.json().ok).toBe(true);
  });
});

describe('browser mode: Host and Origin', () => {
  it('refuses a foreign Host even with the token (DNS rebinding)', async () => {
    const r = await raw(b.server.port, { method: 'POST', path: '/api/system.info', headers: { host: `evil.example:${b.server.port}`, 'content-type': 'application/json', ...auth() }, body: '{}' });
    expect(r.status).toBe(421);
    expect(r.json().error?.code).toBe('FORBIDDEN');
    expect((await raw(b.server.port, { path: '/', headers: { host: `127.0.0.1:${b.server.port + 1}`, ...auth() } })).status).toBe(421);
    const s = await openSocket(auth(), `evil.example:${b.server.port}`);
    expect(s.status).toBe(421);
  });

  it('refuses another site as Origin, for calls and for the event socket', async () => {
    const r = await post('system.info', {}, { ...auth(), origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect((await post('system.info', {}, { ...auth(), origin: `http://127.0.0.1:${b.server.port + 1}` })).status).toBe(403);
    const s = await openSocket({ ...auth(), origin: 'http://evil.example' });
    expect(s.status).toBe(403);
  });

  it('accepts localhost and 127.0.0.1 with the right port', async () => {
    const r = await raw(b.server.port, { method: 'POST', path: '/api/system.info', headers: { host: `localhost:${b.server.port}`, origin: `http://localhost:${b.server.port}`, 'content-type': 'application/json', ...auth() }, body: '{}' });
    expect(r.status).toBe(200);
    expect(r.json<{ value: { mode: string } }>().value.mode).toBe('browser');
  });
});

describe('browser mode: bad requests get a clear 4xx and the server stays up', () => {
  it('oversized body → 413', async () => {
    const r = await post('profiles.create', { name: 'x'.repeat(100 * 1024) });
    expect(r.status).toBe(413);
    expect(r.json().error?.message).toMatch(/too large/);
    expect((await post('system.info', {})).status).toBe(200);
  });

  it('invalid JSON → 400, wrong content type → 415', async () => {
    const bad = await raw(b.server.port, { method: 'POST', path: '/api/system.info', headers: { 'content-type': 'application/json', ...auth() }, body: '{"oops":' });
    expect(bad.status).toBe(400);
    expect(bad.json().error?.code).toBe('BAD_INPUT');
    const form = await raw(b.server.port, { method: 'POST', path: '/api/system.info', headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth() }, body: 'a=1' });
    expect(form.status).toBe(415);
    expect((await post('system.info', {})).status).toBe(200);
  });

  it('a request that breaks the schema → 400 naming the field; unknown method → 404', async () => {
    const r = await post('profiles.create', { name: '' });
    expect(r.status).toBe(400);
    expect(r.json().error?.message).toMatch(/name/);
    const extra = await post('system.info', { sneaky: true });
    expect(extra.status).toBe(400);
    const unknown = await post('no.such', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json().error?.message).toMatch(/no API method/);
  });

  it('a domain missing from this build says so instead of faking data', async () => {
    const r = await post('memory.list', {});
    expect(r.status).toBe(404);
    expect(r.json().error?.message).toMatch(/not available in this build/);
    const info = await post('system.info', {});
    expect(info.json<{ value: { domains: Record<string, boolean> } }>().value.domains).toEqual({ memory: false, chat: false, portability: false });
  });
});

describe('browser mode: events and files', () => {
  it('pushes events to an authorised socket', async () => {
    const s = await openSocket({ ...auth(), origin: origin() });
    expect(s.status).toBe(101);
    const next = new Promise<{ name: string; payload: { paused: boolean } }>((resolve) => s.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    const r = await post('background.set', { paused: true });
    expect(r.json<{ value: { paused: boolean } }>().value.paused).toBe(true);
    expect(await next).toEqual({ name: 'background.changed', payload: { paused: true } });
    await post('background.set', { paused: false });
    s.ws.close();
  });

  it('takes an upload as an opaque read-only ref, and refuses one over the limit', async () => {
    const up = await raw(b.server.port, { method: 'PUT', path: '/files?name=chat.jsonl', headers: { 'content-type': 'application/octet-stream', ...auth() }, body: Buffer.from('{"speaker":"user","text":"hi"}\n') });
    expect(up.status).toBe(200);
    const { file, bytes } = up.json<{ value: { file: string; bytes: number } }>().value;
    expect(file).toMatch(/^f_/);
    expect(bytes).toBe(31);
    const described = await post('files.describe', { file });
    expect(described.json<{ value: { name: string; bytes: number } }>().value).toMatchObject({ name: 'chat.jsonl', bytes: 31 });
    // A read ref is not downloadable: only exports this launch wrote are.
    expect((await raw(b.server.port, { path: `/files/${file}`, headers: auth() })).status).toBe(403);
    const big = await raw(b.server.port, { method: 'PUT', path: '/files?name=big.bin', headers: { 'content-type': 'application/octet-stream', ...auth() }, body: Buffer.alloc(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect((await post('system.info', {})).status).toBe(200);
  });
});
