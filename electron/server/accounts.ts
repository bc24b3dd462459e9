import type { Emily } from '../core/emily.js';
import { EmilyError, sqlState } from '../core/errors.js';
import { createUser, deleteUser } from '../operations/users.js';
import { decoyHash, DEFAULT_COST, hashPassword, verifyPassword, type ScryptCost } from './passwords.js';

export interface Account {
  userId: string;
  username: string;
  createdAt: Date;
}

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{2,39}$/;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

export function normaliseUsername(raw: unknown): string {
  const u = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!USERNAME_RE.test(u)) throw new EmilyError('BAD_INPUT', 'a username is 3-40 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return u;
}

export function checkPassword(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length < PASSWORD_MIN || raw.length > PASSWORD_MAX) {
    throw new EmilyError('BAD_INPUT', `a password is ${PASSWORD_MIN}-${PASSWORD_MAX} characters; a few unrelated words make a good one`);
  }
  return raw;
}

/**
 * Server-mode accounts in the catalog database. Each owns exactly one Emily user, made at
 * sign-up; deleting the user (its database and role) removes the account and its sessions.
 */
export class Accounts {
  private readonly cost: ScryptCost;

  constructor(private readonly emily: Emily, opts: { cost?: ScryptCost } = {}) {
    this.cost = opts.cost ?? DEFAULT_COST;
  }

  async create(rawUsername: unknown, rawPassword: unknown): Promise<Account> {
    const username = normaliseUsername(rawUsername);
    const password = checkPassword(rawPassword);
    if (await this.findByName(username)) throw new EmilyError('CONFLICT', `the username "${username}" is taken; choose another`);
    const hash = await hashPassword(password, this.cost);
    let createdAt: Date | undefined;
    // The account row commits with the profile's "ready": a crash between them leaves a
    // profile still provisioning (doctor removes it), never one that nobody can sign in to.
    const user = await createUser(this.emily, username, {
      alongside: async (c, userId) => {
        try {
          createdAt = (await c.query<{ created_at: Date }>('INSERT INTO accounts (user_id, username, password_hash) VALUES ($1, $2, $3) RETURNING created_at', [userId, username, hash])).rows[0]!.created_at;
        } catch (e) {
          // Taken by a concurrent sign-up between the check and the insert: the profile is undone.
          if (sqlState(e) === '23505') throw new EmilyError('CONFLICT', `the username "${username}" is taken; choose another`);
          throw e;
        }
      },
    });
    return { userId: user.id, username, createdAt: createdAt! };
  }

  /** The account for these credentials, or null; unknown names cost as much as wrong passwords. */
  async verify(rawUsername: unknown, rawPassword: unknown): Promise<Account | null> {
    return (await this.attempt(rawUsername, rawPassword)).account;
  }

  /**
   * A sign-in attempt: the account if the credentials are right, and the name of the account
   * the attempt was for if one by that name exists (null when the name is no account's: it may
   * be a password typed into the wrong box, which must not reach a log).
   */
  async attempt(rawUsername: unknown, rawPassword: unknown): Promise<{ account: Account | null; existing: string | null }> {
    const password = typeof rawPassword === 'string' && rawPassword.length <= PASSWORD_MAX ? rawPassword : '';
    let username: string | null;
    try {
      username = normaliseUsername(rawUsername);
    } catch {
      username = null;
    }
    const found = username ? await this.findByName(username) : null;
    const ok = await verifyPassword(password, found?.hash ?? (await decoyHash(this.cost)));
    return { account: ok && found && password ? found.account : null, existing: found?.account.username ?? null };
  }

  async get(userId: string): Promise<Account | null> {
    const r = await this.emily.catalog.with((c) => c.query<{ user_id: string; username: string; created_at: Date }>('SELECT user_id, username, created_at FROM accounts WHERE user_id = $1', [userId]));
    const row = r.rows[0];
    return row ? { userId: row.user_id, username: row.username, createdAt: row.created_at } : null;
  }

  async list(): Promise<Account[]> {
    const r = await this.emily.catalog.with((c) => c.query<{ user_id: string; username: string; created_at: Date }>('SELECT user_id, username, created_at FROM accounts ORDER BY created_at, username'));
    return r.rows.map((row) => ({ userId: row.user_id, username: row.username, createdAt: row.created_at }));
  }

  /** Drops the account's database and role; the catalog cascades to the account and its sessions. */
  async remove(userId: string): Promise<void> {
    await deleteUser(this.emily, userId);
  }

  private async findByName(username: string): Promise<{ account: Account; hash: string } | null> {
    const r = await this.emily.catalog.with((c) =>
      c.query<{ user_id: string; username: string; created_at: Date; password_hash: string }>('SELECT user_id, username, created_at, password_hash FROM accounts WHERE username = $1', [username]),
    );
    const row = r.rows[0];
    return row ? { account: { userId: row.user_id, username: row.username, createdAt: row.created_at }, hash: row.password_hash } : null;
  }
}
