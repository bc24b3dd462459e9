import { createHash, randomBytes } from 'node:crypto';
import type { Emily } from '../core/emily.js';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

interface Cached {
  userId: string;
  expiresAt: number;
  checkedAt: number;
}

/**
 * Server-mode sessions: a random opaque token in the browser's cookie, only its SHA-256 in
 * the catalog (with an expiry). Lookups are cached briefly in this process so a busy
 * session does not cost a catalog query per request; logout and account deletion drop the
 * cache entry at once.
 */
export class Sessions {
  private readonly cache = new Map<string, Cached>();
  private readonly ttlMs: number;
  private readonly cacheMs: number;

  constructor(private readonly emily: Emily, opts: { ttlMs?: number; cacheMs?: number } = {}) {
    this.ttlMs = opts.ttlMs ?? 7 * 24 * 3600_000;
    this.cacheMs = opts.cacheMs ?? 30_000;
  }

  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  async create(userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.emily.catalog.with((c) => c.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))', [hashOf(token), userId, this.ttlMs / 1000]));
    return token;
  }

  static wellFormed(token: string): boolean {
    return TOKEN_RE.test(token);
  }

  /** Whether this token was seen valid moments ago (no catalog query needed). */
  isCached(token: string): boolean {
    if (!TOKEN_RE.test(token)) return false;
    const hit = this.cache.get(hashOf(token));
    const now = Date.now();
    return !!hit && now - hit.checkedAt < this.cacheMs && now < hit.expiresAt;
  }

  /** The session's user id, or null for an unknown, expired or malformed token. */
  async resolve(token: string | undefined): Promise<string | null> {
    if (!token || !TOKEN_RE.test(token)) return null;
    const key = hashOf(token);
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.checkedAt < this.cacheMs && now < hit.expiresAt) return hit.userId;
    const r = await this.emily.catalog.with((c) => c.query<{ user_id: string; expires_at: Date }>('SELECT user_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > now()', [key]));
    const row = r.rows[0];
    if (!row) {
      this.cache.delete(key);
      return null;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(key, { userId: row.user_id, expiresAt: row.expires_at.getTime(), checkedAt: now });
    return row.user_id;
  }

  async revoke(token: string | undefined): Promise<void> {
    if (!token || !TOKEN_RE.test(token)) return;
    const key = hashOf(token);
    this.cache.delete(key);
    await this.emily.catalog.with((c) => c.query('DELETE FROM sessions WHERE token_hash = $1', [key]));
  }

  /** Every session of an account (deleted, or signed out everywhere). */
  async revokeAll(userId: string): Promise<void> {
    for (const [k, v] of this.cache) if (v.userId === userId) this.cache.delete(k);
    await this.emily.catalog.with((c) => c.query('DELETE FROM sessions WHERE user_id = $1', [userId]));
  }

  async purgeExpired(): Promise<number> {
    const r = await this.emily.catalog.with((c) => c.query('DELETE FROM sessions WHERE expires_at <= now()'));
    return r.rowCount ?? 0;
  }
}
