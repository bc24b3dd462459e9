import type { Emily } from '../core/emily.js';
import { toWireError, type WireError } from '../core/errors.js';
import { createBackup, listBackups, removeBackup } from './backups.js';
import { reporter, throwIfAborted, type LongRunning } from './progress.js';
import { DEFAULT_RETENTION, isDue, planRetention, type RetentionPolicy } from './retention.js';

export interface DueBackupsReport {
  backedUp: string[];
  pruned: string[];
  failed: Array<{ userId: string; error: WireError }>;
}

/**
 * One pass of the backup schedule, for the desktop app to call periodically (e.g. hourly
 * and at start): every ready profile without a scheduled backup in the last day gets one,
 * then its scheduled backups are pruned by the retention policy. Manual backups are never
 * pruned. One profile's failure does not stop the others.
 *
 * A new profile's first scheduled backup comes a day after it was made, like every later
 * one: a copy of a profile minutes old holds next to nothing, and a server where many
 * accounts were just made would otherwise dump them all at once while they are in use.
 */
export async function runDueBackups(emily: Emily, now: Date = new Date(), opts: LongRunning & { policy?: RetentionPolicy } = {}): Promise<DueBackupsReport> {
  const progress = reporter(opts.onProgress);
  const report: DueBackupsReport = { backedUp: [], pruned: [], failed: [] };
  const users = await emily.catalog.list();
  let done = 0;
  for (const user of users) {
    throwIfAborted(opts.signal, 'the scheduled backups');
    progress({ phase: 'backup', done: done++, total: users.length, message: user.displayName });
    try {
      const scheduled = () => listBackups(emily, { userId: user.id }).filter((b) => b.kind === 'scheduled');
      const last = scheduled()[0];
      if (isDue(last?.createdAt ?? user.createdAt, now)) report.backedUp.push((await createBackup(emily, user.id, { kind: 'scheduled', now, signal: opts.signal })).id);
      for (const b of planRetention(scheduled(), opts.policy ?? DEFAULT_RETENTION).remove) {
        removeBackup(b);
        report.pruned.push(b.id);
      }
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      report.failed.push({ userId: user.id, error: toWireError(e) });
    }
  }
  progress({ phase: 'backup', done: users.length, total: users.length, message: 'done' });
  return report;
}
