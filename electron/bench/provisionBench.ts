import type { Emily } from '../core/emily.js';
import { withAdminClient } from '../databases/adminClient.js';
import { createUser, deleteUser } from '../operations/users.js';
import { withScratchEmily, progress } from './scratch.js';
import { elapsedMs, percentile, round } from './stats.js';

export interface ProvisionBenchResult {
  users: number;
  /** New users arriving this far apart (spares are replenished in between). */
  interval_ms: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  spare_hits: number;
  /** The same with no spares: every database copied from the template on the spot. */
  cold_p50_ms: number;
  cold_p95_ms: number;
  delete_p50_ms: number;
}

/** Times "new user ready" (role + database with pgvector and schema + handover + catalog). */
export async function benchProvision(opts: { users?: number; intervalMs?: number } = {}): Promise<ProvisionBenchResult> {
  const n = opts.users ?? 30;
  const interval = opts.intervalMs ?? 1000;
  const warm = await withScratchEmily({ spareDatabases: 2 }, async (emily) => {
    await emily.spares.settle();
    const times: number[] = [];
    const ids: string[] = [];
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const before = await spareCount(emily);
      const t = process.hrtime.bigint();
      ids.push((await createUser(emily, `bench user ${i}`)).id);
      times.push(elapsedMs(t));
      if ((await spareCount(emily)) < before) hits++;
      if (i % 10 === 9) progress(`provisioned ${i + 1}/${n} (spares)`);
      await new Promise((r) => setTimeout(r, interval));
    }
    const deletes: number[] = [];
    for (const id of ids) {
      const t = process.hrtime.bigint();
      await deleteUser(emily, id);
      deletes.push(elapsedMs(t));
    }
    return { times, hits, deletes };
  });
  const cold = await withScratchEmily({ spareDatabases: 0 }, async (emily) => {
    await deleteUser(emily, (await createUser(emily, 'warm-up')).id);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await createUser(emily, `cold user ${i}`);
      times.push(elapsedMs(t));
      if (i % 10 === 9) progress(`provisioned ${i + 1}/${n} (cold)`);
    }
    return times;
  });
  return {
    users: n,
    interval_ms: interval,
    p50_ms: percentile(warm.times, 50),
    p95_ms: percentile(warm.times, 95),
    max_ms: round(Math.max(...warm.times)),
    spare_hits: warm.hits,
    cold_p50_ms: percentile(cold, 50),
    cold_p95_ms: percentile(cold, 95),
    delete_p50_ms: percentile(warm.deletes, 50),
  };
}

async function spareCount(emily: Emily): Promise<number> {
  return withAdminClient(emily.cluster.admin(), 'postgres', async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'emily\\_spare\\_%'")).rows[0]!.n);
}
