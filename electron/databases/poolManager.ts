import pg from 'pg';
import { connectionFailure, EmilyError, sqlState, toEmilyError } from '../core/errors.js';
import { ConnectionBudget } from './connectionBudget.js';

export interface PoolTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** node-postgres's TLS option, for an external server that asks for it. */
  ssl?: import('node:tls').ConnectionOptions;
}

export interface PoolManagerOptions {
  /** Most server connections all user pools together may hold open on one server. */
  budget: number;
  /** A server's own budget when it differs (e.g. capped below its max_connections). */
  budgetFor?: (server: string) => number;
  /** The server of keys whose resolve names none (one-server setups). */
  defaultServer?: string;
  /** Most connections one user's pool may hold. */
  perUserMax?: number;
  /**
   * Idle connections close after this long (default 5 minutes). A connection's backend keeps
   * what it learnt (catalog caches, cached plans, its mapping of shared buffers); a new one
   * relearns it all, which made a recall after a 12 s pause take 79–97 ms against 22–40 ms
   * on a kept connection (2026-12-07). Under a full budget, idle connections of other pools
   * are closed first anyway (LRU), so keeping them costs no one a wait.
   */
  idleMs?: number;
  /** application_name of the connections, as seen in pg_stat_activity. */
  applicationName?: string;
  /**
   * Resolves a key (user id) to where its database lives; called when a pool is opened.
   * onOpen runs on the pool's first connection before anyone else gets one.
   */
  resolve: (key: string) => Promise<{ target: PoolTarget; server?: string; onOpen?: (client: pg.PoolClient) => Promise<void> }>;
  onError?: (key: string, err: Error) => void;
  /**
   * A new connection failed: the pool is closed and the key will be resolved afresh. True: the
   * key's target was stale, so the call (nothing of it ran) is made once more, at once.
   */
  onConnectError?: (key: string, err: unknown) => boolean | void;
}

interface Entry {
  pool: pg.Pool;
  active: number;
  server: string;
}

interface Gate {
  opened: Promise<void>;
  open: () => void;
}

interface ServerBudget {
  budget: ConnectionBudget;
  ClientClass: typeof pg.Client;
}

/**
 * One pg pool per user database, opened lazily, under a connection budget per server.
 * Each physical connection holds a budget permit from connect to end (a Client subclass
 * does the accounting, so pg-pool keeps its own idle reuse). Under pressure, the least
 * recently used idle pool of that server is closed, and connections are handed over on
 * release. A key can be held at a gate (its database is being switched to another server):
 * its callers wait there and then resolve the key afresh.
 */
export class PoolManager {
  private readonly pools = new Map<string, Entry>(); // insertion order = LRU order
  private readonly opening = new Map<string, Promise<Entry>>();
  private readonly budgets = new Map<string, ServerBudget>();
  private readonly gates = new Map<string, Gate>();
  private readonly opts: Required<Omit<PoolManagerOptions, 'onError' | 'onConnectError' | 'budgetFor'>> & Pick<PoolManagerOptions, 'onError' | 'onConnectError' | 'budgetFor'>;
  private closed = false;

  constructor(opts: PoolManagerOptions) {
    // Options passed as undefined (UserDatabases forwards its own optional ones) keep the defaults.
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as PoolManagerOptions;
    this.opts = { perUserMax: 4, idleMs: 300_000, applicationName: 'emily', defaultServer: 'local', ...given };
    new ConnectionBudget(opts.budget); // validates the number now rather than at first use
  }

  /** The budget of the default server (benchmarks instrument it). */
  get budget(): ConnectionBudget {
    return this.serverBudget(this.opts.defaultServer).budget;
  }

  budgetOf(server: string): ConnectionBudget {
    return this.serverBudget(server).budget;
  }

  stats(): { pools: number; openConnections: number; peakConnections: number; waiting: number; servers: Record<string, { pools: number; openConnections: number; peakConnections: number; waiting: number; budget: number }> } {
    const servers: Record<string, { pools: number; openConnections: number; peakConnections: number; waiting: number; budget: number }> = {};
    for (const [name, { budget }] of this.budgets) servers[name] = { pools: 0, openConnections: budget.inUse, peakConnections: budget.peakInUse, waiting: budget.waiting, budget: budget.capacity };
    for (const e of this.pools.values()) if (servers[e.server]) servers[e.server]!.pools++;
    const all = Object.values(servers);
    return {
      pools: this.pools.size,
      openConnections: all.reduce((n, s) => n + s.openConnections, 0),
      peakConnections: all.reduce((n, s) => Math.max(n, s.peakConnections), 0),
      waiting: all.reduce((n, s) => n + s.waiting, 0),
      servers,
    };
  }

  /**
   * Holds a key's new acquisitions, waits for its running ones to finish (up to drainMs)
   * and closes its pool. Returns the function that opens the gate again.
   */
  async hold(key: string, drainMs = 10_000): Promise<() => void> {
    if (this.gates.has(key)) throw new EmilyError('BUSY', 'this profile is already being switched; try again in a moment');
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const gate: Gate = { opened, open };
    this.gates.set(key, gate);
    const release = () => {
      if (this.gates.get(key) === gate) this.gates.delete(key);
      open();
    };
    try {
      const deadline = Date.now() + drainMs;
      await this.opening.get(key)?.catch(() => undefined);
      while ((this.pools.get(key)?.active ?? 0) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // Not awaited: pool.end() waits for checked-out clients, and a caller that outlived the
      // drain is ended by the server side of the switch (its sessions are terminated).
      const entry = this.pools.get(key);
      this.pools.delete(key);
      if (entry) void entry.pool.end().catch(() => undefined);
    } catch (e) {
      release();
      throw e;
    }
    return release;
  }

  async withClient<T>(key: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new EmilyError('CLUSTER_UNAVAILABLE', 'Emily is shutting down');
    await this.passGate(key);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(key, fn);
      } catch (e) {
        // An idle connection that died unnoticed (server restarted, backend terminated), or a
        // login refused where the user no longer lives: nothing of the call reached the server,
        // or only a BEGIN did, so nothing committed. The call runs again on a fresh connection
        // (its code before the first statement runs again). A move's switch can cause both.
        if (!(e instanceof StaleConnection) || attempt > 2) throw e instanceof StaleConnection ? e.lost : e;
      }
    }
  }

  private async once<T>(key: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let entry: Entry;
    try {
      entry = await this.entry(key);
    } catch (e) {
      // The pool's first connection (made while opening it) failed: as for any new one.
      if (e instanceof EmilyError) throw e;
      if (this.opts.onConnectError?.(key, e)) throw new StaleConnection(toEmilyError(e, 'cannot connect to the user database'));
      throw toEmilyError(e, 'cannot connect to the user database');
    }
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
        if (this.opts.onConnectError?.(key, e)) throw new StaleConnection(toEmilyError(e, 'cannot connect to the user database'));
      }
      throw toEmilyError(e, 'cannot connect to the user database');
    }
    const conn = client as unknown as BudgetedConnection;
    const reused = conn.checkouts++ > 0;
    let broken: Error | undefined;
    // pg-pool drops its error listener while a client is checked out; a session ended by the
    // server between two queries (a move's switch, a restart) must not become an uncaught error.
    const onError = (e: Error) => (broken = e);
    client.on('error', onError);
    try {
      if (reused && performance.now() - conn.idleSince > PING_AFTER_IDLE_MS) await ping(client);
      conn.mark();
      return await fn(client);
    } catch (e) {
      if (e instanceof StaleConnection) {
        broken = e;
        throw e;
      }
      // A statement's error leaves the connection usable; anything else (the caller's own
      // error included) discards it, to be safe.
      const state = sqlState(e);
      if (state && !LOST_STATES.test(state)) throw e;
      broken = e instanceof Error ? e : new Error(String(e));
      if (!state && queryable(client) && !connectionFailure(e)) throw e;
      const lost = connectionLost(e);
      // Retried only if the server cannot have committed anything of the call: its first
      // statement (not completed) opened a transaction. Any other statement, an autocommit
      // INSERT say, may have committed just before the connection died, and running the
      // call again would do it twice.
      throw reused && conn.statements === conn.statementsAtMark && opensTransaction(conn.firstText) ? new StaleConnection(lost) : lost;
    } finally {
      client.off('error', onError);
      conn.idleSince = performance.now();
      entry.active--;
      // Hand the connection's permit to a waiting user rather than keeping it idle here.
      const handOver = this.serverBudget(entry.server).budget.waiting > 0 && entry.pool.waitingCount === 0;
      client.release(broken ?? handOver);
    }
  }

  /** Whether the key's pool holds a server connection now (its next caller need not open one). */
  hasConnection(key: string): boolean {
    return (this.pools.get(key)?.pool.totalCount ?? 0) > 0;
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

  private async passGate(key: string): Promise<void> {
    for (let gate = this.gates.get(key); gate; gate = this.gates.get(key)) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EmilyError('BUSY', 'this profile is being moved to another server or replaced, and it is taking long; try again in a moment')), 60_000);
      });
      try {
        await Promise.race([gate.opened, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private serverBudget(server: string): ServerBudget {
    let b = this.budgets.get(server);
    if (!b) {
      const budget = new ConnectionBudget(this.opts.budgetFor?.(server) ?? this.opts.budget);
      budget.onPressure = () => this.evictIdle(server);
      b = { budget, ClientClass: budgetedClient(budget) };
      this.budgets.set(server, b);
    }
    return b;
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
    const { target, onOpen, server = this.opts.defaultServer } = await this.opts.resolve(key);
    const pool = new pg.Pool({
      ...target,
      Client: this.serverBudget(server).ClientClass,
      max: this.opts.perUserMax,
      idleTimeoutMillis: this.opts.idleMs,
      // A caller waiting for this user's pool gets an error rather than waiting forever (two
      // callers each holding one connection and wanting another would otherwise never end).
      // Longer than the budget's own wait, whose BUSY error says more.
      connectionTimeoutMillis: 60_000,
      application_name: this.opts.applicationName,
      // A statement issued while another is in flight is sent at once instead of after its
      // answer (retrieval sends its settings and its statement together): one round trip less.
      pipeline: true,
    });
    pool.on('error', (err) => this.opts.onError?.(key, err));
    const entry: Entry = { pool, active: 0, server };
    if (onOpen) {
      try {
        const client = await pool.connect();
        let broken: Error | undefined;
        const onError = (e: Error) => (broken = e);
        client.on('error', onError);
        try {
          await onOpen(client);
        } finally {
          client.off('error', onError);
          // Handed out once already: the first call that gets it may need the idle check.
          const conn = client as unknown as BudgetedConnection;
          conn.checkouts++;
          conn.idleSince = performance.now();
          client.release(broken);
        }
      } catch (e) {
        await pool.end().catch(() => undefined);
        throw e;
      }
    }
    this.pools.set(key, entry);
    return entry;
  }

  /** Closes the least recently used pool of a server that holds only idle connections. */
  private evictIdle(server: string): void {
    for (const [key, entry] of this.pools) {
      if (entry.server !== server) continue;
      const { pool } = entry;
      if (entry.active === 0 && pool.totalCount > 0 && pool.idleCount === pool.totalCount && pool.waitingCount === 0) {
        this.pools.delete(key);
        void pool.end().catch(() => undefined);
        return;
      }
    }
  }
}

/**
 * A connection idle this long is checked with an empty query before a call gets it, as
 * pgxpool does: a server restart or a terminated backend is then found before any of the
 * call's statements is sent, so the call can safely run on a fresh connection. (Checking
 * every checkout would add a round trip to each call of a busy profile.)
 */
const PING_AFTER_IDLE_MS = 1000;

async function ping(client: pg.PoolClient): Promise<void> {
  try {
    await client.query('');
  } catch (e) {
    throw new StaleConnection(connectionLost(e));
  }
}

function connectionLost(e: unknown): EmilyError {
  return new EmilyError('CLUSTER_UNAVAILABLE', `the connection to the database server was lost (${e instanceof Error ? e.message : String(e)}); try again in a moment`, { cause: e });
}

function opensTransaction(sql: string | undefined): boolean {
  return sql !== undefined && /^\s*(BEGIN|START\s+TRANSACTION)\b[^;]*;?\s*$/i.test(sql);
}

/** The connection died before the call's statements could have changed anything; see withClient. */
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
  /** When the connection was last handed back (or made). */
  idleSince: number;
  /** statements when the current call began, and the text of its first statement. */
  statementsAtMark: number;
  firstText: string | undefined;
  mark(): void;
}

/** A pg.Client that holds a budget permit for exactly as long as its connection exists. */
function budgetedClient(budget: ConnectionBudget): typeof pg.Client {
  class BudgetedClient extends pg.Client implements BudgetedConnection {
    private permit = false;
    statements = 0;
    checkouts = 0;
    idleSince = performance.now();
    statementsAtMark = 0;
    firstText: string | undefined;
    private marked = false;

    constructor(config?: pg.ClientConfig) {
      super(config);
      // pg-pool listens for errors only while a client is idle: without this, a server that
      // dies while a caller holds the client between two statements crashes the process.
      // The caller's next statement fails instead, and the client is discarded on release.
      this.on('error', () => undefined);
      (this as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => this.statements++);
    }

    mark(): void {
      this.statementsAtMark = this.statements;
      this.firstText = undefined;
      this.marked = true;
    }

    // The overloads of pg.Client.query cannot be restated in a subclass either.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      if (this.marked) {
        const config: unknown = args[0];
        this.firstText = typeof config === 'string' ? config : (config as { text?: string } | null)?.text ?? '';
        this.marked = false;
      }
      return (super.query as (...a: unknown[]) => unknown)(...args);
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
