import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EmilyError, toWireError } from '../core/errors.js';
import type { Accounts } from './accounts.js';
import { refuse, statusOf } from './fileTransfer.js';
import type { Sessions } from './sessions.js';

export interface AuthRouteOptions {
  accounts: Accounts;
  sessions: Sessions;
  signup: boolean;
  /** Sign-in and sign-up attempts per client address per minute. */
  authPerMinute: number;
  secureCookies: boolean;
  onSignOutEverywhere(userId: string): void;
  /** This one session ended (its sockets close). */
  onSignOut(token: string | undefined): void;
}

const COOKIE = 'emily_session';
const FAILS_BEFORE_PAUSE = 5;
const FAIL_WINDOW_MS = 15 * 60_000;
const PAUSE_MS = 60_000;

/**
 * Sign-up, sign-in, sign-out. Besides the per-address limit, a username that keeps failing
 * is paused for a minute after each further failure, so guessing one account's password from
 * many addresses stays slow. Credentials are read from the body and never logged.
 */
export function registerAuthRoutes(app: FastifyInstance, o: AuthRouteOptions): void {
  const failures = new Map<string, { count: number; first: number; last: number }>();
  const limited = { bodyLimit: 4096 };
  // One budget for sign-in and sign-up together, per client address.
  const checkAuth = app.createRateLimit({ max: o.authPerMinute, timeWindow: 60_000, keyGenerator: (req) => `auth:${req.ip}` });
  /**
   * Sends the 429 itself and answers whether the caller must stop. (It must not hand the reply
   * back: a FastifyReply is thenable, so awaiting it gives undefined and the caller went on.)
   */
  const overLimit = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const r = await checkAuth(req);
    if (r.isAllowed || !r.isExceeded) return false;
    const wait = Math.max(1, Math.ceil(r.ttl / 1000));
    void refuse(reply.header('Retry-After', String(wait)), 429, 'BUSY', `too many requests; wait ${wait} s and try again`);
    return true;
  };
  const cookie = (token: string, maxAge: number) => `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${o.secureCookies ? '; Secure' : ''}`;

  const fail = (reply: FastifyReply, e: unknown) => {
    const w = toWireError(e);
    return refuse(reply, statusOf(w.code), w.code, w.message);
  };
  const credentials = (body: unknown): { username: unknown; password: unknown } => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new EmilyError('BAD_INPUT', 'send {"username": "…", "password": "…"} as JSON');
    const b = body as Record<string, unknown>;
    return { username: b.username, password: b.password };
  };

  app.post('/auth/signup', limited, async (req, reply) => {
    if (await overLimit(req, reply)) return reply;
    if (!o.signup) return refuse(reply, 403, 'FORBIDDEN', 'this server does not take sign-ups; ask its operator for an account');
    try {
      const { username, password } = credentials(req.body);
      const account = await o.accounts.create(username, password);
      req.log.info({ username: account.username, profileId: account.userId }, 'account created');
      const token = await o.sessions.create(account.userId);
      return reply.code(201).header('Set-Cookie', cookie(token, o.sessions.ttlSeconds)).header('Cache-Control', 'no-store').send({ ok: true, value: { username: account.username, profileId: account.userId } });
    } catch (e) {
      return fail(reply, e);
    }
  });

  app.post('/auth/login', limited, async (req, reply) => {
    if (await overLimit(req, reply)) return reply;
    try {
      const { username, password } = credentials(req.body);
      const key = typeof username === 'string' ? username.trim().toLowerCase().slice(0, 40) : '';
      const now = Date.now();
      const f = failures.get(key);
      if (f && now - f.first > FAIL_WINDOW_MS) failures.delete(key);
      else if (f && f.count >= FAILS_BEFORE_PAUSE && now - f.last < PAUSE_MS) {
        return refuse(reply.header('Retry-After', String(Math.ceil((PAUSE_MS - (now - f.last)) / 1000))), 429, 'BUSY', 'too many failed sign-ins for this username; wait a minute and try again');
      }
      const { account, existing } = await o.accounts.attempt(username, password);
      if (!account) {
        const g = failures.get(key) ?? { count: 0, first: now, last: now };
        g.count += 1;
        g.last = now;
        if (failures.size > 100_000) failures.clear();
        failures.set(key, g);
        // Only an existing account's name: what was typed may be a password in the wrong box.
        req.log.info(existing ? { username: existing } : { unknownUsername: true }, 'sign-in failed');
        return refuse(reply, 401, 'UNAUTHORIZED', 'wrong username or password');
      }
      failures.delete(key);
      const token = await o.sessions.create(account.userId);
      req.log.info({ username: account.username }, 'signed in');
      return reply.header('Set-Cookie', cookie(token, o.sessions.ttlSeconds)).header('Cache-Control', 'no-store').send({ ok: true, value: { username: account.username, profileId: account.userId } });
    } catch (e) {
      return fail(reply, e);
    }
  });

  app.post('/auth/logout', { bodyLimit: 4096 }, async (req, reply) => {
    const everywhere = !!(req.body && typeof req.body === 'object' && (req.body as { everywhere?: unknown }).everywhere === true);
    if (everywhere) {
      await o.sessions.revokeAll(req.userId!);
      o.onSignOutEverywhere(req.userId!);
    } else {
      await o.sessions.revoke(req.sessionToken);
      o.onSignOut(req.sessionToken);
    }
    return reply.header('Set-Cookie', cookie('', 0)).header('Cache-Control', 'no-store').send({ ok: true, value: { signedOut: true } });
  });

  app.get('/auth/me', async (req, reply) => {
    const account = await o.accounts.get(req.userId!);
    if (!account) return refuse(reply, 401, 'UNAUTHORIZED', 'this account no longer exists; sign up again');
    return reply.header('Cache-Control', 'no-store').send({ ok: true, value: { username: account.username, profileId: account.userId } });
  });
}
