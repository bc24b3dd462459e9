/**
 * Which scheduled backups to keep: the newest of each of the last `daily` days that have a
 * backup, plus the newest of each of the last `weekly` ISO weeks (as restic's
 * --keep-daily/--keep-weekly). The newest backup is always kept. Pure, so it is tested
 * without clocks or files.
 */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4 };

/** A scheduled backup is due when the last one is at least this old (a little under a day, so the time of day does not drift). */
export const DAILY_INTERVAL_MS = 23 * 3600_000;

export interface Dated {
  id: string;
  createdAt: Date;
}

export function planRetention<T extends Dated>(backups: T[], policy: RetentionPolicy = DEFAULT_RETENTION): { keep: T[]; remove: T[] } {
  const sorted = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  const keep = new Set<T>();
  if (sorted[0]) keep.add(sorted[0]);
  pick(sorted, dayKey, policy.daily).forEach((b) => keep.add(b));
  pick(sorted, weekKey, policy.weekly).forEach((b) => keep.add(b));
  return { keep: sorted.filter((b) => keep.has(b)), remove: sorted.filter((b) => !keep.has(b)) };
}

export function isDue(last: Date | undefined, now: Date, intervalMs = DAILY_INTERVAL_MS): boolean {
  return !last || now.getTime() - last.getTime() >= intervalMs || last.getTime() > now.getTime() + 3600_000; // a clock set back: do not wait for it
}

function pick<T extends Dated>(newestFirst: T[], key: (d: Date) => string, count: number): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const b of newestFirst) {
    if (seen.size >= count) break;
    const k = key(b.createdAt);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(b);
  }
  return out;
}

export function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** ISO-8601 week (weeks start on Monday; week 1 holds the year's first Thursday), UTC. */
export function weekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
