import pg from 'pg';
import { EmilyError, sqlState, toEmilyError } from '../core/errors.js';
import { ConnectionBudget } from './connectionBudget.js';

export interface PoolTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface PoolManagerOptions {
  /** Most server connections all user pools together may hold open. */
  budget: number;
  /** Most connections one user's pool may hold. */
  perUserMax?: number;
  /** Idle connections close after this long. */
  idleMs?: number;
  /** application_name of the connections, as seen in pg_stat_activity. */
  applicationName?: string;
  /**
   * Resolves a key (user id) to where its database lives; called when a pool is opened.
   * onOpen runs on the pool's first connection before anyone else gets one.
   */
  resolve: (key: string) => Promise<{ target: PoolTarget; onOpen?: (client: pg.PoolClient) => Promise<void> }>;
  onError?: (key: string, err: Error) => void;
  /** A new connection failed: the pool is closed and the key will be resolved afresh. */
  onConnectError?: (key: string, err: unknown) => void;
}

interface Entry {
  pool: pg.Pool;
  active: number;
}

/**
 * One pg pool per user database, opened lazily, under one global connection budget.
 * Each physical connection holds a budget permit from connect to end (a Client subclass
 * does the accounting, so pg-pool keeps its own idle reuse). Under pressure, the least
 * recently used idle pool is closed, and connections are handed over on release.
 */
export class PoolManager {
  readonly budget: ConnectionBudget;
  private readonly pools = new Map<string, Entry>(); // insertion order = LRU order
  private readonly opening = new Map<string, Promise<Entry>>();
  private readonly opts: Required<Omit<PoolManagerOptions, 'onError' | 'onConnectError'>> & Pick<PoolManagerOptions, 'onError' | 'onConnectError'>;
  private readonly ClientClass: typeof pg.Client;
  private closed = false;

  constructor(opts: PoolManagerOptions) {
    this.opts = { perUserMax: 4, idleMs: 10_000, applicationName: 'emily', ...opts };
    this.budget = new ConnectionBudget(opts.budget);
    this.budget.onPressure = () => this.evictIdle();
    this.ClientClass = budgetedClient(this.budget);
  }

  stats(): { pools: number; openConnections: number; peakConnections: number; waiting: number } {
    return { pools: this.pools.size, openConnections: this.budget.inUse, peakConnections: this.budget.peakInUse, waiting: this.budget.waiting };
  }

  async withClient<T>(key: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new EmilyError('CLUSTER_UNAVAILABLE', 'Emily is shutting down');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(key, fn);
      } catch (e) {
        // An idle connection that died unnoticed (server restarted, backend terminated) fails
        // before any statement completed, so none committed: the call runs once more on a
        // fresh connection (its code before the first statement runs twice).
        if (!(e instanceof StaleConnection) || attempt > 1) throw e instanceof StaleConnection ? e.lost : e;
      }
    }
  }

  private async once<T>(key: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const entry = await this.entry(key);
    entry.active++;
    let client: pg.PoolClient;
    try {
      client = await entry.pool.connect();
    } catch (e) {
      entry.active--;
      if (!(e instanceof EmilyError && e.code === 'BUSY')) {
        // Out of the map at once; ended in the background: end() waits for every caller
        // still holding one of its connections, and this caller must not wait for them.
        if (this.pools.get(key) === entry) void this.close(key);
        this.opts.onConnectError?.(key, e);
      }
      throw toEmilyError(e, 'cannot connect to the user database');
    }
    const conn = client as unknown as BudgetedConnection;
    const reused = conn.checkouts++ > 0;
    const statementsBefore = conn.statements;
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (e) {
      // A statement's error leaves the connection usable; anything else (the caller's own
      // error included) discards it, to be safe.
      const state = sqlState(e);
      if (state && !LOST_STATES.test(state)) throw e;
      broken = e instanceof Error ? e : new Error(String(e));
      if (!state && queryable(client)) throw e;
      const lost = new EmilyError('CLUSTER_UNAVAILABLE', `the connection to the database server was lost (${broken.message}); try again in a moment`, { cause: e });
      throw reused && conn.statements === statementsBefore ? new StaleConnection(lost) : lost;
    } finally {
      entry.active--;
      // Hand the connection's permit to a waiting user rather than keeping it idle here.
      const handOver = this.budget.waiting > 0 && entry.pool.waitingCount === 0;
      client.release(broken ?? handOver);
    }
  }

  /** Closes one key's pool (before its database is dropped or moved). */
  async close(key: string): Promise<void> {
    const entry = this.pools.get(key);
    this.pools.delete(key);
    if (entry) await entry.pool.end().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const entries = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(entries.map((e) => e.pool.end().catch(() => undefined)));
  }

  private async entry(key: string): Promise<Entry> {
    const hit = this.pools.get(key);
    if (hit) {
      this.pools.delete(key); // move to most-recently-used
      this.pools.set(key, hit);
      return hit;
    }
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.open(key).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  private async open(key: string): Promise<Entry> {
    const { target, onOpen } = await this.opts.resolve(key);
    const pool = new pg.Pool({
      ...target,
      Client: this.ClientClass,
      max: this.opts.perUserMax,
      idleTimeoutMillis: this.opts.idleMs,
      application_name: this.opts.applicationName,
    });
    pool.on('error', (err) => this.opts.onError?.(key, err));
    const entry: Entry = { pool, active: 0 };
    if (onOpen) {
      try {
        const client = await pool.connect();
        try {
          await onOpen(client);
        } finally {
          client.release();
        }
      } catch (e) {
        await pool.end().catch(() => undefined);
        throw e;
      }
    }
    this.pools.set(key, entry);
    return entry;
  }

  /** Closes the least recently used pool that holds only idle connections. */
  private evictIdle(): void {
    for (const [key, entry] of this.pools) {
      const { pool } = entry;
      if (entry.active === 0 && pool.totalCount > 0 && pool.idleCount === pool.totalCount && pool.waitingCount === 0) {
        this.pools.delete(key);
        void pool.end().catch(() => undefined);
        return;
      }
    }
  }
}

/** The connection died under a statement that never completed; see withClient. */
class StaleConnection extends Error {
  constructor(readonly lost: EmilyError) {
    super(lost.message);
  }
}

/** Connection exceptions (class 08) and a backend terminated, crashed or restarting (57P01-57P03). */
const LOST_STATES = /^(08...|57P0[123])$/;

/** Whether pg still considers the connection alive (the flags pg-pool itself reads on release). */
function queryable(client: pg.PoolClient): boolean {
  const c = client as unknown as { _queryable?: boolean; _ending?: boolean };
  return c._queryable !== false && !c._ending;
}

interface BudgetedConnection {
  /** Statements completed on this connection (ReadyForQuery messages). */
  statements: number;
  /** Times withClient has handed this connection out. */
  checkouts: number;
}

/** A pg.Client that holds a budget permit for exactly as long as its connection exists. */
function budgetedClient(budget: ConnectionBudget): typeof pg.Client {
  class BudgetedClient extends pg.Client implements BudgetedConnection {
    private permit = false;
    statements = 0;
    checkouts = 0;

    constructor(config?: pg.ClientConfig) {
      super(config);
      // pg-pool listens for errors only while a client is idle: without this, a server that
      // dies while a caller holds the client between two statements crashes the process.
      // The caller's next statement fails instead, and the client is discarded on release.
      this.on('error', () => undefined);
      (this as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => this.statements++);
    }

    private dropPermit(): void {
      if (this.permit) {
        this.permit = false;
        budget.release();
      }
    }

    // pg-pool calls connect(callback); plain callers use the promise. The overloads of
    // pg.Client.connect cannot be restated in a subclass, hence the loose signature.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override connect(callback?: any): any {
      const run = async (): Promise<void> => {
        await budget.acquire();
        this.permit = true;
        this.once('end', () => this.dropPermit());
        const started = performance.now();
        try {
          await super.connect();
          budget.connects?.push(performance.now() - started);
        } catch (e) {
          this.dropPermit();
          throw e;
        }
      };
      const p = run();
      if (callback) {
        p.then(() => callback(undefined as unknown as Error), (e: Error) => callback(e));
        return undefined;
      }
      return p;
    }
  }
  return BudgetedClient as unknown as typeof pg.Client;
}
