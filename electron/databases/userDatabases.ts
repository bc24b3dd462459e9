import type pg from 'pg';
import { rolePassword, type ClusterSecrets } from '../cluster/secrets.js';
import { EmilyError, sqlState } from '../core/errors.js';
import { assertUserId } from '../core/ids.js';
import type { Catalog, UserRecord } from './catalog.js';
import { openCheck } from './doctor.js';
import { moveRunning } from './moveLock.js';
import { PoolManager, type PoolTarget } from './poolManager.js';
import type { ServerDirectory } from './servers.js';
import { inTransaction, retryingConflicts } from './transaction.js';
import { pgSsl } from './tls.js';

export type UserClient = pg.PoolClient;

export interface UserDatabasesOptions {
  catalog: Catalog;
  servers: ServerDirectory;
  secrets: ClusterSecrets;
  /** Connections per server (each server's own cap may be lower, see budgetFor). */
  budget: number;
  budgetFor?: (server: string) => number;
  perUserMax?: number;
  idleMs?: number;
  applicationName?: string;
}


/** How long a call waits for another process's move to finish its switch. */
const SWITCH_WAIT_MS = 30_000;

/**
 * Logins refused where this process last found the user: the role cannot log in (a move's
 * switch froze it), or the role or database is gone there (the old copy of a move, dropped).
 * Nothing ran, so the call is made once more, through a fresh catalog lookup.
 */
const MOVED_AWAY = new Set(['28000', '28P01', '3D000']);

/**
 * The one door to a user's data. Connections come from that user's own pool, log in as
 * that user's own role, and are always released.
 */
export class UserDatabases {
  readonly pools: PoolManager;
  /** Users whose database passed the open check in this process (LRU eviction must not redo it). */
  private readonly checked = new Map<string, { target: PoolTarget; server: string }>();

  constructor(private readonly o: UserDatabasesOptions) {
    this.pools = new PoolManager({
      budget: o.budget,
      budgetFor: o.budgetFor,
      defaultServer: o.servers.primary?.() ?? o.servers.names()[0],
      perUserMax: o.perUserMax,
      idleMs: o.idleMs,
      applicationName: o.applicationName,
      resolve: async (userId) => {
        const known = this.checked.get(userId);
        if (known) return known;
        const user = await this.unlessMoving(userId);
        if (user.status !== 'ready') throw new EmilyError('NOT_FOUND', `the profile "${user.displayName}" is not ready (${user.status})`);
        await o.servers.ready?.(user.server);
        const admin = o.servers.admin(user.server);
        // The embedded server's socket when there is one: shorter round trips, cheaper connects.
        const target = { host: admin.socketDir ?? admin.host, port: admin.port, database: user.dbName, user: user.roleName, password: rolePassword(o.secrets, user.roleName), ssl: pgSsl(admin.tls) };
        return {
          target,
          server: user.server,
          onOpen: async (client) => {
            const { schemaVersion } = await openCheck(client, user, admin);
            // Migrated as it was opened (or by hand): the catalog says what the database holds.
            if (schemaVersion !== user.schemaVersion) await o.catalog.update(userId, { schemaVersion });
            this.checked.set(userId, { target, server: user.server });
          },
        };
      },
      onError: () => undefined, // idle-connection errors: the pool drops the connection itself
      // Deleted, moved or frozen by another process since we looked it up (even just now):
      // look it up again, and at once when the login was refused (see MOVED_AWAY).
      onConnectError: (userId, e) => {
        this.checked.delete(userId);
        return MOVED_AWAY.has(sqlState(e) ?? '');
      },
    });
  }

  /**
   * The user's catalog row once no move holds it. A move freezes the user for its switch
   * (about a second), a replace for its backup and swap: callers wait that out instead of
   * failing. A row left
   * 'moving' by a mover that died (nobody holds its lock) is reported at once.
   */
  private async unlessMoving(userId: string): Promise<UserRecord> {
    const deadline = Date.now() + SWITCH_WAIT_MS;
    for (;;) {
      const user = await this.o.catalog.get(userId);
      if (user.status !== 'moving') return user;
      if (!(await this.o.catalog.with((c) => moveRunning(c, userId)))) {
        throw new EmilyError('BUSY', `a move of "${user.displayName}" to another server, or a replace of what it holds, was interrupted; opening Emily again or "emily doctor --repair" finishes it`);
      }
      if (Date.now() > deadline) throw new EmilyError('BUSY', `"${user.displayName}" is being moved to another server or replaced, and it is taking long; try again in a moment`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async withUser<T>(userId: string, fn: (client: UserClient) => Promise<T>): Promise<T> {
    return this.pools.withClient(assertUserId(userId), fn);
  }

  /** Runs fn in a transaction; retried on serialization failures and deadlocks. */
  async withUserTransaction<T>(userId: string, fn: (client: UserClient) => Promise<T>): Promise<T> {
    return retryingConflicts(() => this.withUser(userId, (client) => inTransaction(client, fn)));
  }

  /**
   * Holds the user's new connections while their database is switched to another server;
   * the returned function lets them through again, to wherever the catalog then points.
   */
  async hold(userId: string, drainMs?: number): Promise<() => void> {
    const release = await this.pools.hold(assertUserId(userId), drainMs);
    this.checked.delete(userId);
    return () => {
      this.checked.delete(userId);
      release();
    };
  }

  /** Whether the user's pool holds a server connection now (background work prefers those users). */
  hasConnection(userId: string): boolean {
    return this.pools.hasConnection(userId);
  }

  forget(userId: string): Promise<void> {
    this.checked.delete(userId);
    return this.pools.close(userId);
  }

  close(): Promise<void> {
    return this.pools.closeAll();
  }
}
