import pLimit from 'p-limit';
import type { Emily } from '../core/emily.js';
import { withAdminClient } from '../databases/adminClient.js';
import { createUser } from '../operations/users.js';
import { hugePagesInUseMb, idleConnectMs } from './machine.js';
import { withScratchEmily, progress } from './scratch.js';
import { elapsedMs, percentile, round } from './stats.js';

export interface PoolBenchOptions {
  users?: number;
  budget?: number;
  seconds?: number;
  /** Mean pause between one user's queries (open loop, exponential). */
  thinkMs?: number;
}

export interface PoolBenchResult {
  users: number;
  budget: number;
  max_server_connections: number;
  requests: number;
  requests_per_s: number;
  acquire_p50_ms: number;
  acquire_p95_ms: number;
  acquire_p99_ms: number;
  query_p99_ms: number;
  /** Acquisitions that had to wait for a free connection slot, and how long (p99). */
  queued_for_budget: number;
  budget_wait_p99_ms: number;
  /** Server connections opened while driving the load, and how long opening one took. */
  new_connections: number;
  connect_p50_ms: number;
  connect_p99_ms: number;
  errors: number;
  /** The first few distinct error messages, so a failing run says why. */
  error_samples: string[];
  think_ms: number;
  /**
   * Before the measured drive, every user is visited once, a few at a time: the first
   * connection to a database just made reads its pages from disk and builds its catalog
   * cache file, a one-time cost reported here rather than mixed into the steady state.
   */
  first_visit_acquire_p50_ms: number;
  first_visit_acquire_p99_ms: number;
  provision_s: number;
  /** One new connection on the idle server (machine marker, see machine.ts). */
  idle_connect_ms: number;
  /** Huge pages in use on the machine while it ran (see machine.ts). */
  huge_pages_mb: number;
}

/**
 * 600 users, each with its own database and role, issuing short queries at random
 * intervals through withUser under a global budget; samples the server's own count of
 * client connections while it runs.
 */
export async function benchPool(opts: PoolBenchOptions = {}): Promise<PoolBenchResult> {
  const users = opts.users ?? 600;
  const budget = opts.budget ?? 60;
  const seconds = opts.seconds ?? 20;
  const thinkMs = opts.thinkMs ?? 5000;
  return withScratchEmily({ budget, perUserMax: 2, maxConnections: 100 }, async (emily) => {
    const t0 = process.hrtime.bigint();
    const limit = pLimit(2);
    let made = 0;
    const ids = await Promise.all(
      Array.from({ length: users }, (_, i) =>
        limit(async () => {
          const u = await createUser(emily, `pool user ${i}`);
          if (++made % 100 === 0) progress(`provisioned ${made}/${users}`);
          return u.id;
        }),
      ),
    );
    const provisionS = elapsedMs(t0) / 1000;
    // Creating 600 databases writes gigabytes of WAL: measure the steady state, not the
    // checkpoint that follows the provisioning burst.
    await emily.spares.settle();
    await withAdminClient(emily.cluster.admin(), 'postgres', (c) => c.query('CHECKPOINT'));
    const firstVisit = await visitEach(emily, ids);
    const idle = await idleConnectMs(emily, ids[0]!);
    return { users, budget, ...(await drivePool(emily, ids, { seconds, thinkMs })), ...firstVisit, provision_s: round(provisionS, 1), idle_connect_ms: idle, huge_pages_mb: hugePagesInUseMb() };
  });
}

/** One short query per user, four at a time; how long each acquisition took. */
async function visitEach(emily: Emily, ids: string[]): Promise<Pick<PoolBenchResult, 'first_visit_acquire_p50_ms' | 'first_visit_acquire_p99_ms'>> {
  progress(`visiting each of ${ids.length} users once`);
  // Provisioning may have left the newest users' pools open: a first visit starts with none.
  for (const id of ids) await emily.users.forget(id);
  const limit = pLimit(4);
  const acquire: number[] = [];
  await Promise.all(
    ids.map((id) =>
      limit(() => {
        const t = process.hrtime.bigint();
        return emily.withUser(id, async (c) => {
          acquire.push(elapsedMs(t));
          await c.query('SELECT count(*) FROM memories WHERE NOT archived');
        });
      }),
    ),
  );
  return { first_visit_acquire_p50_ms: percentile(acquire, 50), first_visit_acquire_p99_ms: percentile(acquire, 99) };
}

/** The measured part: every user issues short queries at random intervals for `seconds`. */
export async function drivePool(emily: Emily, ids: string[], o: { seconds: number; thinkMs: number }): Promise<Omit<PoolBenchResult, 'users' | 'budget' | 'provision_s' | 'first_visit_acquire_p50_ms' | 'first_visit_acquire_p99_ms' | 'idle_connect_ms' | 'huge_pages_mb'>> {
  const { seconds, thinkMs } = o;
  const sampler = startSampler(emily);
  const budgetWaits: number[] = [];
  emily.users.pools.budget.waits = budgetWaits;
  const connects: number[] = [];
  emily.users.pools.budget.connects = connects;
  const acquire: number[] = [];
  const query: number[] = [];
  let errors = 0;
  const samples = new Set<string>();
  const deadline = Date.now() + seconds * 1000;
  const one = async (id: string) => {
    while (Date.now() < deadline) {
      await sleep(-Math.log(1 - Math.random()) * thinkMs);
      if (Date.now() >= deadline) break;
      const t = process.hrtime.bigint();
      try {
        await emily.withUser(id, async (c) => {
          acquire.push(elapsedMs(t));
          const q = process.hrtime.bigint();
          await c.query('SELECT count(*) FROM memories WHERE NOT archived');
          query.push(elapsedMs(q));
        });
      } catch (e) {
        errors++;
        const msg = (e as Error).message;
        if (samples.size < 5) samples.add(msg);
      }
    }
  };
  progress(`driving ${ids.length} users for ${seconds} s`);
  await Promise.all(ids.map(one));
  const maxServer = await sampler.stop();
  return {
    max_server_connections: maxServer,
    requests: acquire.length,
    requests_per_s: round(acquire.length / seconds, 1),
    acquire_p50_ms: percentile(acquire, 50),
    acquire_p95_ms: percentile(acquire, 95),
    acquire_p99_ms: percentile(acquire, 99),
    query_p99_ms: percentile(query, 99),
    queued_for_budget: budgetWaits.length,
    budget_wait_p99_ms: percentile(budgetWaits, 99),
    new_connections: connects.length,
    connect_p50_ms: percentile(connects, 50),
    connect_p99_ms: percentile(connects, 99),
    errors,
    error_samples: [...samples],
    think_ms: thinkMs,
  };
}

/** Polls pg_stat_activity for connections to user databases (the sampler's own is not one). */
function startSampler(emily: Emily): { stop: () => Promise<number> } {
  let max = 0;
  let running = true;
  const done = withAdminClient(emily.cluster.admin(), 'postgres', async (c) => {
    while (running) {
      const r = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname LIKE 'emily\\_u\\_%'");
      max = Math.max(max, r.rows[0]!.n);
      await sleep(50);
    }
  });
  return {
    stop: async () => {
      running = false;
      await done;
      return max;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
