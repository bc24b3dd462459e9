import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Services } from '../api/services.js';
import type { Emily } from '../core/emily.js';
import { EmilyError } from '../core/errors.js';
import { refuseModelFiles } from '../providers/modelFiles.js';
import { serverSecretStore, type SecretStore } from '../secrets/secretStore.js';
import { AccountApis } from './accountApis.js';
import { ScratchArea } from './scratchArea.js';
import { Accounts } from './accounts.js';
import { HostNames } from './hostNames.js';
import { publicError, withPublicErrors } from './publicError.js';
import { registerAuthRoutes } from './authRoutes.js';
import { receiveUpload, refuse, sendDownload, statusOf } from './fileTransfer.js';
import { bearer, readCookie } from './guard.js';
import { LOGIN_HTML, LOGIN_JS } from './loginPage.js';
import type { ScryptCost } from './passwords.js';
import { SessionSockets } from './sessionSockets.js';
import { Sessions } from './sessions.js';
import { useStrictJson } from './strictJson.js';

export const SESSION_COOKIE = 'emily_session';
/**
 * Server connections all user pools may hold in server mode: at most 60 per PostgreSQL
 * server, less a margin for closed connections whose backends have not yet exited.
 */
export const MULTI_USER_BUDGET = 56;

export interface MultiUserServerOptions {
  emily: Emily;
  services: Services;
  /** The built renderer (renderer/dist). */
  rendererDir: string;
  host?: string;
  /** Names the server is reached under besides its own addresses (a reverse proxy's public name). */
  publicHosts?: string[];
  /** 0 = any free port. */
  port?: number;
  /** Anyone may create an account (default); off: the operator makes them ("emily accounts create"). */
  signup?: boolean;
  /** API keys of every account ("<profile id>/…"); default: a 0600 file in Emily's home. */
  secrets?: SecretStore;
  /** JSON request bodies above this answer 413 (default 8 MiB: one 1,000,000-character message). */
  bodyLimit?: number;
  /** Uploads above this answer 413 (default 256 MiB). */
  uploadLimit?: number;
  /** What one account's uploads and exports waiting on the server may add up to (default 1 GiB). */
  uploadQuota?: number;
  /** Uploads and exports nobody collected are removed after this long (default 6 hours). */
  scratchMaxAgeMs?: number;
  /** API calls per account per minute, and sign-in / sign-up attempts per address per minute. */
  rateLimit?: { apiPerMinute?: number; authPerMinute?: number; unknownSessionsPerMinute?: number };
  sessionTtlMs?: number;
  /** How often open event sockets are checked against their session (default 1 minute). */
  socketCheckMs?: number;
  passwordCost?: ScryptCost;
  /** Mark the cookie Secure (the server sits behind HTTPS). */
  secureCookies?: boolean;
  /** Profiles may name model servers on this machine or its private network. */
  allowPrivateUrls?: boolean;
  /**
   * Addresses or CIDR ranges of reverse proxies in front of this server. A request from one
   * of them is taken to come from the client its X-Forwarded-For names, so per-address
   * limits apply per client, not to everyone behind the proxy at once. A request from
   * anywhere else is taken at its own address, whatever it claims.
   */
  trustProxy?: string[];
  /** Request log (never passwords, tokens or keys); false = none. Default: stderr. */
  log?: { stream: Writable; level?: string } | false;
}

export interface MultiUserServer {
  port: number;
  url: string;
  accounts: Accounts;
  sessions: Sessions;
  apis: AccountApis;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in account's profile id, set once the session is checked. */
    userId?: string;
    sessionToken?: string;
  }
}

const PUBLIC_ROUTES = new Set(['/login', '/login.js', '/healthz', '/auth/login', '/auth/signup']);

/** The app's page, however its address is spelled ("/", "/index.html", "/%69ndex.html"). */
function isAppPage(rawPath: string): boolean {
  let p: string;
  try {
    p = decodeURIComponent(rawPath);
  } catch {
    return true; // undecodable: treat it as the page, which only costs a redirect
  }
  return p === '/' || p === '/index.html';
}

/**
 * Server mode: the same API and renderer as browser mode, for many accounts. Every request
 * is served by the API of the session's own account, which reaches that account's
 * database through its own role and nothing else.
 */
export async function startMultiUserServer(opts: MultiUserServerOptions): Promise<MultiUserServer> {
  const { emily } = opts;
  refuseModelFiles('in server mode a profile cannot use a model file on the server; choose an OpenAI-compatible or Anthropic server in Settings');
  const bodyLimit = opts.bodyLimit ?? 8 * 1024 * 1024;
  const uploadLimit = opts.uploadLimit ?? 256 * 1024 ** 2;
  const secrets = opts.secrets ?? serverSecretStore(emily.home);
  const accounts = new Accounts(emily, { cost: opts.passwordCost });
  const sessions = new Sessions(emily, { ttlMs: opts.sessionTtlMs });
  const sockets = new SessionSockets();
  const uploadQuota = opts.uploadQuota ?? 1024 ** 3;
  const scratch = ScratchArea.open(emily.home, { maxAgeMs: opts.scratchMaxAgeMs });
  const scratchRoot = scratch.root;
  const apis: AccountApis = new AccountApis({
    emily,
    services: opts.services,
    secrets,
    scratchRoot,
    allowPrivateUrls: opts.allowPrivateUrls,
    deleteAccount: async (userId) => {
      await sessions.revokeAll(userId);
      await accounts.remove(userId);
      await secrets.deletePrefix(`${userId}/`);
      await opts.services.portability?.deleteBackups(userId);
      // The call that asked for this is still answering: close its API right after.
      setImmediate(() => apis.drop(userId));
    },
  });

  const log = opts.log === false ? false : { level: opts.log?.level ?? 'info', stream: opts.log?.stream ?? process.stderr, redact: ['req.headers.cookie', 'req.headers.authorization'] };
  const app = Fastify({
    logger: log,
    bodyLimit,
    ...(opts.trustProxy?.length ? { trustProxy: checkedProxies(opts.trustProxy) } : {}),
    forceCloseConnections: true,
    return503OnClosing: true,
    // Fastify turns Node's limit off (0): a body sent a byte at a time would hold its connection
    // for ever. Ten minutes still carries the largest upload over a slow line.
    requestTimeout: 10 * 60_000,
    // The router's own refusals (a malformed or overlong path) answer in the API's shape too.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      return refuse(reply, status >= 400 && status < 500 ? status : 400, 'BAD_INPUT', 'the request address is malformed or too long');
    },
  });

  const badTokens = new WindowCounter(opts.rateLimit?.unknownSessionsPerMinute ?? 60, 60_000);
  const tokenOf = (req: FastifyRequest) => bearer(req.headers.authorization) ?? readCookie(req.headers.cookie, SESSION_COOKIE);

  const known: { hosts?: HostNames } = {}; // the server's names, known once it listens (the port)
  app.addHook('onRequest', async (req, reply) => {
    if (known.hosts && !known.hosts.allows(req.headers.host) && req.url !== '/healthz') {
      return refuse(reply, 421, 'FORBIDDEN', 'this server does not answer to that name (Host header); open it at its own address, or, behind a reverse proxy, start it with --public-host <the name the proxy passes on>');
    }
    reply.header('X-Frame-Options', 'DENY').header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin').header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('Content-Security-Policy', "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    // Not new URL(): a path such as "//" would parse as a host and throw.
    const pathname = req.url.split('?')[0]!;
    const viaHeader = bearer(req.headers.authorization) !== undefined;
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const isSocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    // A cookie rides along on any request a browser makes: anything but a plain read must come from this site.
    if (!viaHeader && (!isRead || isSocket) && !sameOrigin(req)) {
      return refuse(reply, 403, 'FORBIDDEN', 'requests from other sites are refused (a browser request needs an Origin header naming this server)');
    }
    const token = tokenOf(req);
    // Unknown well-formed tokens cost a catalog query each: an address that keeps sending them is cut off first.
    const looked = !!token && Sessions.wellFormed(token) && !sessions.isCached(token);
    if (looked && badTokens.exceeded(req.ip)) {
      return refuse(reply.header('Retry-After', '60'), 429, 'BUSY', 'too many requests with an unknown session; sign in again in a minute');
    }
    const userId = token ? await sessions.resolve(token) : null;
    if (looked && !userId) badTokens.count(req.ip);
    if (userId) {
      req.userId = userId;
      req.sessionToken = token;
    }
    // Decided on the route the router matched, not on the raw address: the router decodes
    // %xx, so "/%61pi/…" reaches the API route while its raw text does not start with "/api/".
    // Every route needs a session unless it is named public here.
    const route = req.routeOptions.url;
    if (route === undefined || PUBLIC_ROUTES.has(route)) return; // no route: the not-found handler answers
    if (route === '/' || route === '/*') {
      // The renderer's files are public; its page is for signed-in accounts only.
      if (!userId && isAppPage(pathname)) return reply.code(303).header('Cache-Control', 'no-store').redirect('/login');
      return;
    }
    if (!userId) return refuse(reply, 401, 'UNAUTHORIZED', 'sign in first (your session ended or was never started)');
  });

  // A refused WebSocket upgrade leaves its socket outside the server's connection tracking: end it.
  app.addHook('onResponse', async (req, reply) => {
    if (req.headers.upgrade && reply.statusCode !== 101) req.raw.socket.destroy();
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 429) return refuse(reply, 429, 'BUSY', err.message);
    if (status === 413) return refuse(reply, 413, 'BAD_INPUT', `the request is too large (over ${Math.max(1, Math.round(bodyLimit / 1024 / 1024))} MiB); send less at once`);
    if (status === 415) return refuse(reply, 415, 'BAD_INPUT', 'send the request as application/json');
    if (status === 400) return refuse(reply, 400, 'BAD_INPUT', `the request is not valid JSON: ${err.message.slice(0, 200)}`);
    if (status === 500) app.log.error({ err: { message: err.message.slice(0, 500) } }, 'request failed');
    return refuse(reply, status, status === 500 ? 'INTERNAL' : 'BAD_INPUT', status === 500 ? 'the server failed on this request; its operator can see why in the server log' : err.message.slice(0, 200));
  });

  await app.register(fastifyRateLimit, {
    global: true,
    max: opts.rateLimit?.apiPerMinute ?? 1200,
    timeWindow: 60_000,
    // Per account once signed in, else per address: another account's burst never slows yours.
    keyGenerator: (req) => (req.userId ? `a:${req.userId}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `too many requests; wait ${Math.ceil(ctx.ttl / 1000)} s and try again` }),
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.setNotFoundHandler((req, reply) => refuse(reply, 404, 'NOT_FOUND', `nothing here (${req.method} ${req.url.split('?')[0]!.slice(0, 80)})`));

  app.get('/healthz', async () => ({ ok: true, value: { status: 'up' } }));
  app.get('/login', async (_req, reply) => reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(LOGIN_HTML));
  app.get('/login.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(LOGIN_JS));
  registerAuthRoutes(app, { accounts, sessions, signup: opts.signup ?? true, authPerMinute: opts.rateLimit?.authPerMinute ?? 10, secureCookies: opts.secureCookies ?? false, onSignOutEverywhere: (id) => apis.drop(id), onSignOut: (token) => sockets.close(token) });

  app.post('/api/:method', async (req, reply) => {
    const { method } = req.params as { method: string };
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new EmilyError('CANCELLED', 'the page went away'));
    });
    const result = await apis.get(req.userId!).dispatcher.call(method, req.body, { signal: controller.signal });
    reply.header('Cache-Control', 'no-store');
    if (result.ok) return reply.code(200).send(result);
    const error = publicError(result.error, (ref, message) => req.log.error({ method: method.slice(0, 80), ref, error: message.slice(0, 500) }, 'API call failed'));
    return reply.code(statusOf(error.code)).send({ ok: false, error });
  });

  app.route({
    method: 'GET',
    url: '/api/events',
    handler: async (_req, reply) => refuse(reply, 426, 'BAD_INPUT', 'this address is a WebSocket: connect to it with a WebSocket client'),
    wsHandler: (socket, req) => {
      const { api, release: detach } = apis.attach(req.userId!, socket);
      const untrack = sockets.add(req.sessionToken!, socket);
      const release = () => (detach(), untrack());
      const off = api.deps.events.subscribe((event) => {
        if (socket.readyState !== socket.OPEN) return;
        // An operation's failure arrives here as well as in the call's answer: cleaned the same way.
        const out = withPublicErrors(event, (ref, message) => req.log.error({ event: event.name, ref, error: message.slice(0, 500) }, 'operation failed'));
        socket.send(JSON.stringify(out));
      });
      const done = () => (off(), release());
      socket.on('close', done);
      socket.on('error', done);
      socket.on('message', () => undefined);
      socket.send(JSON.stringify({ name: 'hello', payload: {} }));
    },
  });

  useStrictJson(app);
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.put('/files', async (req, reply) => receiveUpload(req, reply, apis.get(req.userId!).deps.files, uploadLimit, uploadQuota));
  app.get('/files/:ref', async (req, reply) => sendDownload(reply, apis.get(req.userId!).deps.files, (req.params as { ref: string }).ref));

  if (fs.existsSync(path.join(opts.rendererDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: path.resolve(opts.rendererDir), index: ['index.html'], wildcard: true });
  } else {
    app.get('/', async (_req, reply) => reply.code(503).type('text/plain').send('The renderer is not built. Run "npm run build:renderer" and start Emily again.'));
  }

  const purge = setInterval(() => void sessions.purgeExpired().catch(() => undefined), 3600_000);
  purge.unref();
  // An expired session's socket closes within a minute of its end.
  const socketCheck = setInterval(() => void sockets.sweep(async (token) => (await sessions.resolve(token)) !== null), opts.socketCheckMs ?? 60_000);
  socketCheck.unref();
  const sweep = setInterval(() => scratch.sweep(), 15 * 60_000);
  sweep.unref();
  // Node answers an unknown Expect header itself, with an empty body: answer in the API's shape.
  app.server.on('checkExpectation', (_req, res) => {
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ ok: false, error: { code: 'BAD_INPUT', message: 'only "Expect: 100-continue" is understood; send the request without the Expect header' } }));
  });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  known.hosts = new HostNames({ listen: opts.host ?? '127.0.0.1', port, publicHosts: opts.publicHosts });
  const shownHost = (opts.host ?? '127.0.0.1').includes(':') ? `[${opts.host}]` : (opts.host ?? '127.0.0.1');
  return {
    port,
    url: `http://${shownHost}:${port}/`,
    accounts,
    sessions,
    apis,
    close: async () => {
      clearInterval(purge);
      clearInterval(socketCheck);
      clearInterval(sweep);
      await app.close();
      apis.closeAll();
      scratch.dispose();
      refuseModelFiles(null);
    },
  };
}

/** Events per key in a fixed window (in memory: one server process). */
class WindowCounter {
  private readonly counts = new Map<string, { n: number; since: number }>();
  constructor(private readonly max: number, private readonly windowMs: number) {}

  count(key: string): void {
    const now = Date.now();
    const c = this.counts.get(key);
    if (!c || now - c.since > this.windowMs) {
      if (this.counts.size > 100_000) this.counts.clear();
      this.counts.set(key, { n: 1, since: now });
    } else c.n++;
  }

  exceeded(key: string): boolean {
    const c = this.counts.get(key);
    return !!c && Date.now() - c.since <= this.windowMs && c.n >= this.max;
  }
}

/** The Origin header names the host the request was sent to (no Origin: not same-origin). */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !req.headers.host) return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Proxy addresses as given, each an IP address or an address/prefix range; anything else is
 * refused. So is a /0 range: it would believe every client's X-Forwarded-For, so anyone could
 * pick a fresh address for each sign-in attempt and the per-address limits would mean nothing.
 */
export function checkedProxies(list: string[]): string[] {
  return list.map((entry) => {
    const [address, prefix, extra] = entry.trim().split('/');
    const family = address?.includes('%') ? 0 : isIP(address ?? ''); // a zone id names an interface, not a proxy
    const max = family === 4 ? 32 : 128;
    const ok = family !== 0 && extra === undefined && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= max));
    if (!ok) throw new EmilyError('BAD_INPUT', `"${entry}" is not an address or a range such as 10.0.0.0/8: name the reverse proxies in front of Emily, nothing else`);
    return entry.trim();
  });
}
