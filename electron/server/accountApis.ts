import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createApi, type Api } from '../api/composition.js';
import type { Services } from '../api/services.js';
import type { Emily } from '../core/emily.js';
import { assertUserId } from '../core/ids.js';
import type { SecretStore } from '../secrets/secretStore.js';

interface Entry {
  api: Api;
  /** Open event sockets: an API with listeners is never evicted. */
  sockets: Set<{ close(): void }>;
}

export interface AccountApisOptions {
  emily: Emily;
  services: Services;
  secrets: SecretStore;
  /** Each account's uploads and downloads live in a folder of its own under this one. */
  scratchRoot: string;
  /** How many accounts' APIs stay built (least recently used go first). */
  max?: number;
  allowPrivateUrls?: boolean;
  /** Deletes the account (its profile's database and role, sessions, keys, backups). */
  deleteAccount(userId: string): Promise<void>;
}

/**
 * One API per signed-in account, built on first use: its dispatcher is bound to the
 * account's profile, and its event bus, running operations and file refs are its own, so
 * nothing one account does is visible to another.
 */
export class AccountApis {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;

  constructor(private readonly opts: AccountApisOptions) {
    this.max = opts.max ?? 1000;
  }

  get size(): number {
    return this.entries.size;
  }

  get(userId: string): Api {
    // A route that forgot its session check must fail here, not build an API for no account.
    assertUserId(userId);
    const hit = this.entries.get(userId);
    if (hit) {
      // Re-insert: Map order is the recency order.
      this.entries.delete(userId);
      this.entries.set(userId, hit);
      return hit.api;
    }
    const api = createApi({
      emily: this.opts.emily,
      mode: 'server',
      services: this.opts.services,
      secrets: this.opts.secrets,
      scratchDir: path.join(this.opts.scratchRoot, `${userId}-${randomBytes(6).toString('hex')}`),
      scope: { userId, allowPrivateUrls: this.opts.allowPrivateUrls, deleteAccount: () => this.opts.deleteAccount(userId) },
    });
    this.entries.set(userId, { api, sockets: new Set() });
    this.evict();
    return api;
  }

  /** Ties an event socket to the account's API; returns the release. */
  attach(userId: string, socket: { close(): void }): { api: Api; release(): void } {
    const api = this.get(userId);
    const entry = this.entries.get(userId)!;
    entry.sockets.add(socket);
    return { api, release: () => entry.sockets.delete(socket) };
  }

  /** Closes an account's API and its sockets (the account was deleted or signed out everywhere). */
  drop(userId: string): void {
    const e = this.entries.get(userId);
    if (!e) return;
    this.entries.delete(userId);
    for (const s of e.sockets) s.close();
    e.api.close();
  }

  closeAll(): void {
    for (const id of [...this.entries.keys()]) this.drop(id);
  }

  private evict(): void {
    if (this.entries.size <= this.max) return;
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (e.sockets.size === 0 && e.api.deps.ops.active === 0) this.drop(id);
    }
  }
}
