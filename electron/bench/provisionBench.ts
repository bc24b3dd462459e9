import { createUser, deleteUser } from '../operations/users.js';
import { withScratchEmily, progress } from './scratch.js';
import { elapsedMs, percentile, round } from './stats.js';

export interface ProvisionBenchResult {
  users: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  delete_p50_ms: number;
}

/** Times "new user ready" (role + database from template + handover + catalog), one at a time. */
export async function benchProvision(opts: { users?: number } = {}): Promise<ProvisionBenchResult> {
  const n = opts.users ?? 30;
  return withScratchEmily({}, async (emily) => {
    await deleteUser(emily, (await createUser(emily, 'warm-up')).id); // first CREATE DATABASE pays for cold caches
    const times: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      ids.push((await createUser(emily, `bench user ${i}`)).id);
      times.push(elapsedMs(t));
      if (i % 10 === 9) progress(`provisioned ${i + 1}/${n}`);
    }
    const deletes: number[] = [];
    for (const id of ids) {
      const t = process.hrtime.bigint();
      await deleteUser(emily, id);
      deletes.push(elapsedMs(t));
    }
    return { users: n, p50_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: round(Math.max(...times)), delete_p50_ms: percentile(deletes, 50) };
  });
}
