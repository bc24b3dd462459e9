import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import type { Services } from '../../electron/api/services.js';
import type { Emily } from '../../electron/core/emily.js';
import { FileSecretStore } from '../../electron/secrets/secretStore.js';
import { startMultiUserServer, type MultiUserServer, type MultiUserServerOptions } from '../../electron/server/multiUserServer.js';
import { raw, type RawResponse } from './http.js';
import { useTestEmily, type TestEmily } from './testEmily.js';

export interface ServerClient {
  username: string;
  profileId: string;
  token: string;
  /** POST /api/<method> with this account's session cookie. */
  call<T = unknown>(method: string, input?: unknown): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  post(method: string, body: string | Buffer, headers?: Record<string, string>): Promise<RawResponse>;
  request(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawResponse>;
  socket(): Promise<{ ws: WebSocket; events: { name: string; payload: unknown }[] }>;
}

export interface TestServerMode {
  readonly t: TestEmily;
  readonly server: MultiUserServer;
  /** Everything the server logged so far. */
  readonly log: string;
  readonly dir: string;
  origin(): string;
  signup(username: string, password?: string): Promise<ServerClient>;
  /** A client for an existing session token. */
  client(username: string, profileId: string, token: string): ServerClient;
}

export const PASSWORD = 'correct horse battery staple';

export function cookieToken(res: RawResponse): string {
  const set = res.headers['set-cookie']?.join(';') ?? '';
  const m = /emily_session=([^;]*)/.exec(set);
  if (!m) throw new Error(`no session cookie in ${res.status} ${res.text}`);
  return m[1]!;
}

/**
 * Server mode on the run's test cluster, as "emily serve --multi-user" runs it, with its own
 * key store and a captured log. Accounts it signs up are deleted after the file.
 */
export function useServerMode(
  opts: { services?: (emily: Emily) => Services; renderer?: () => string; emily?: () => Emily } & Partial<Omit<MultiUserServerOptions, 'emily' | 'services' | 'log' | 'rendererDir'>> = {},
): TestServerMode {
  // An Emily of the caller's (several servers, say), or one on the run's test cluster.
  const given = opts.emily;
  const t: TestEmily = given
    ? {
        get emily() {
          return given();
        },
        user: () => Promise.reject(new Error('useServerMode: accounts make the users here')),
      }
    : useTestEmily();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-server-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Emily</title><p>renderer</p>');
  let server: MultiUserServer | undefined;
  let log = '';
  const made: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, cb) => ((log += String(chunk)), cb()) });
  beforeAll(async () => {
    const { services, renderer, emily: _emily, ...rest } = opts;
    server = await startMultiUserServer({ rendererDir: renderer?.() ?? dir, secrets: new FileSecretStore(path.join(dir, 'secrets.json')), ...rest, emily: t.emily, services: services?.(t.emily) ?? {}, log: { stream } });
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    for (const id of made) await server?.accounts.remove(id).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const self: TestServerMode = {
    t,
    dir,
    get server() {
      if (!server) throw new Error('useServerMode: not started yet');
      return server;
    },
    get log() {
      return log;
    },
    origin: () => `http://127.0.0.1:${self.server.port}`,
    async signup(username, password = PASSWORD) {
      const r = await raw(self.server.port, { method: 'POST', path: '/auth/signup', headers: { 'content-type': 'application/json', origin: self.origin() }, body: JSON.stringify({ username, password }) });
      if (r.status !== 201) throw new Error(`sign-up failed: ${r.status} ${r.text}`);
      const value = r.json<{ value: { profileId: string } }>().value;
      made.push(value.profileId);
      return self.client(username, value.profileId, cookieToken(r));
    },
    client(username, profileId, token) {
      const port = self.server.port;
      const headers = () => ({ origin: self.origin(), cookie: `emily_session=${token}` });
      const c: ServerClient = {
        username,
        profileId,
        token,
        request: (o) => raw(port, { ...o, headers: { ...headers(), ...o.headers } }),
        post: (method, body, extra = {}) => raw(port, { method: 'POST', path: `/api/${method}`, headers: { 'content-type': 'application/json', ...headers(), ...extra }, body }),
        async call(method, input = {}) {
          const r = await c.post(method, JSON.stringify(input));
          return r.json();
        },
        socket: () =>
          new Promise((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers: { host: `127.0.0.1:${port}`, ...headers() } });
            const events: { name: string; payload: unknown }[] = [];
            ws.on('message', (d) => events.push(JSON.parse(String(d)) as { name: string; payload: unknown }));
            ws.once('open', () => resolve({ ws, events }));
            ws.once('unexpected-response', (_req, res) => reject(new Error(`socket refused: ${res.statusCode}`)));
            ws.once('error', reject);
          }),
      };
      return c;
    },
  };
  return self;
}
