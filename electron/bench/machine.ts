import fs from 'node:fs';
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

/**
 * Megabytes of the machine's reserved huge pages in use or promised (Linux), else 0.
 *
 * PostgreSQL maps its shared memory in 2 MB pages when the operator has reserved them
 * (vm.nr_hugepages; huge_pages = try is its default). Every new backend then takes one
 * page fault per 2 MB of shared buffers it touches instead of one per 4 kB: on the slow-fault
 * VM of docs/performance.md that made a new connection 25 % cheaper. Printed beside the
 * connection-bound figures, it says which kind of run they come from.
 */
export function hugePagesInUseMb(meminfo = readMeminfo()): number {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0);
  const pageKb = field('Hugepagesize');
  return Math.round(((field('HugePages_Total') - field('HugePages_Free') + field('HugePages_Rsvd')) * pageKb) / 1024);
}

function readMeminfo(): string {
  try {
    return fs.readFileSync('/proc/meminfo', 'utf8');
  } catch {
    return '';
  }
}
