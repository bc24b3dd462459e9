import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Api } from '../api/composition.js';
import { EmilyError } from '../core/errors.js';
import { receiveUpload, refuse, sendDownload, statusOf } from './fileTransfer.js';
import { allowedHosts, allowedOrigins, bearer, cookieName, newLaunchToken, readCookie, SECURITY_HEADERS, tokensEqual } from './guard.js';
import { useStrictJson } from './strictJson.js';

export interface BrowserServerOptions {
  api: Api;
  /** The built renderer (renderer/dist). */
  rendererDir: string;
  /** 0 = any free port. */
  port?: number;
  /** JSON request bodies above this are refused with 413 (default 8 MiB: a 1,000,000-character message, escaped). */
  bodyLimit?: number;
  /** Uploads (import files) above this are refused with 413 (default 8 GiB). */
  uploadLimit?: number;
}

export interface BrowserServer {
  port: number;
  token: string;
  /** The URL to open once: it carries the token, which then lives in a cookie. */
  url: string;
  close(): Promise<void>;
}



/**
 * Browser mode: the core's API over HTTP (POST /api/<method>) and its events over a
 * WebSocket (/api/events), plus the built renderer, on 127.0.0.1 only. Nothing answers
 * without the launch token; Host and Origin must name this server.
 */
export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = newLaunchToken();
  const bodyLimit = opts.bodyLimit ?? 8 * 1024 * 1024;
  const uploadLimit = opts.uploadLimit ?? 8 * 1024 ** 3;
  const app = Fastify({ logger: false, bodyLimit, forceCloseConnections: true, return503OnClosing: true });
  let port = 0;

  const authorise = (req: FastifyRequest): 'header' | 'cookie' | null => {
    if (tokensEqual(req.headers['x-emily-token'] as string | undefined, token) || tokensEqual(bearer(req.headers.authorization), token)) return 'header';
    if (tokensEqual(readCookie(req.headers.cookie, cookieName(port)), token)) return 'cookie';
    return null;
  };

  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS(port))) reply.header(k, v);
    if (!allowedHosts(port).has(String(req.headers.host ?? ''))) {
      return refuse(reply, 421, 'FORBIDDEN', 'wrong Host header: open Emily at the http://127.0.0.1 address that "emily serve" printed');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins(port).has(origin)) {
      return refuse(reply, 403, 'FORBIDDEN', 'requests from other sites are refused');
    }
    // Not new URL(): a path such as "//" would parse as a host and throw.
    const [pathname, query = ''] = req.url.split('?', 2) as [string, string?];
    const search = new URLSearchParams(query);
    // The printed URL carries the token once: trade it for a cookie and drop it from the address bar.
    if (req.method === 'GET' && pathname === '/' && search.has('token')) {
      if (!tokensEqual(search.get('token') ?? undefined, token)) return refuse(reply, 401, 'UNAUTHORIZED', 'this link is from another launch of Emily: open the address printed by the running "emily serve"');
      return reply
        .header('Set-Cookie', `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect('/', 303);
    }
    const how = authorise(req);
    if (!how) return refuse(reply, 401, 'UNAUTHORIZED', 'Emily needs the address with the token that "emily serve" printed; open that address again');
    // A cookie rides along on any request the browser makes: require a same-origin Origin for anything but reads.
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const isSocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    if (how === 'cookie' && (!isRead || isSocket) && origin === undefined) {
      return refuse(reply, 403, 'FORBIDDEN', 'requests without an Origin header must carry the token in a header');
    }
  });

  // A refused WebSocket upgrade leaves its socket outside the server's connection tracking: end it.
  app.addHook('onResponse', async (req, reply) => {
    if (req.headers.upgrade && reply.statusCode !== 101) req.raw.socket.destroy();
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 413) return refuse(reply, 413, 'BAD_INPUT', `the request is too large (over ${Math.round(bodyLimit / 1024 / 1024)} MiB); send less at once`);
    if (status === 415) return refuse(reply, 415, 'BAD_INPUT', 'send the request as application/json');
    if (status === 400) return refuse(reply, 400, 'BAD_INPUT', `the request is not valid JSON: ${err.message}`);
    return refuse(reply, status, status === 500 ? 'INTERNAL' : 'BAD_INPUT', status === 500 ? 'the server failed on this request; see the terminal running Emily' : err.message);
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.post('/api/:method', async (req, reply) => {
    const { method } = req.params as { method: string };
    const controller = new AbortController();
    // The request's own 'close' fires once its body has been read; only the response
    // closing before it was written means the page went away.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new EmilyError('CANCELLED', 'the page went away'));
    });
    const result = await opts.api.dispatcher.call(method, req.body, { signal: controller.signal });
    reply.header('Cache-Control', 'no-store');
    return reply.code(result.ok ? 200 : statusOf(result.error.code)).send(result);
  });

  app.get('/api/events', { websocket: true }, (socket) => {
    const off = opts.api.deps.events.subscribe((event) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(event));
    });
    socket.on('close', off);
    socket.on('error', off);
    // The socket only pushes; anything the page sends is ignored.
    socket.on('message', () => undefined);
    socket.send(JSON.stringify({ name: 'hello', payload: {} }));
  });

  // Import files: streamed to a scratch file, answered with an opaque ref.
  useStrictJson(app);
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.put('/files', async (req, reply) => receiveUpload(req, reply, opts.api.deps.files, uploadLimit));

  // Exports: downloadable once written, only files this launch created for writing.
  app.get('/files/:ref', async (req, reply) => sendDownload(reply, opts.api.deps.files, (req.params as { ref: string }).ref));

  const index = path.join(opts.rendererDir, 'index.html');
  if (fs.existsSync(index)) {
    await app.register(fastifyStatic, { root: path.resolve(opts.rendererDir), index: ['index.html'], wildcard: true });
  } else {
    app.get('/', async (_req, reply) =>
      reply.code(503).type('text/plain').send('The renderer is not built. Run "npm run build:renderer" and start Emily again.'),
    );
  }

  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  port = (app.server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () => app.close(),
  };
}
