import type { Emily } from '../core/emily.js';
import { elapsedMs, percentile } from './stats.js';

/**
 * What one new server connection costs on this machine while nothing else runs: the
 * user's pool is closed, then one query opens it again, `times` in a row; the median.
 *
 * bench pool and bench load are bound by connection churn (600 databases behind about 56
 * connections), and what a backend costs to start depends on the VM far more than on
 * Emily: on VMs where page faults and fork() are slow it was four times what it was on
 * others. Printed beside their figures, it tells a slow machine from a slow change.
 */
export async function idleConnectMs(emily: Emily, userId: string, times = 20): Promise<number> {
  const pools = emily.users.pools;
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    await pools.close(userId);
    const t = process.hrtime.bigint();
    await emily.withUser(userId, (c) => c.query('SELECT 1'));
    ms.push(elapsedMs(t));
  }
  await pools.close(userId);
  return percentile(ms, 50);
}
