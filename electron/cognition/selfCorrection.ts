import { toEmilyError } from '../core/errors.js';
import { enqueueJob, type Job } from '../jobs/queue.js';
import { consolidateBacklog, relinkOrphans } from './consolidation.js';
import type { CognitionOptions, UserDoor } from './context.js';
import { latestBaseline, measureDrift, snapshotBaseline, type Baseline, type DriftReport } from './drift.js';
import { recomputeOutcomeMetrics } from './earl.js';
import { loadFramework } from './framework.js';
import { refreshGraphMetrics } from './graphMetrics.js';

export interface SelfCorrectionReport {
  id: number;
  reason: string;
  before: DriftReport;
  /** Drift against the baseline the run started from, after the corrections. */
  after: DriftReport;
  steps: { consolidated: { turns: number; promoted: number; reinforced: number }; relinked: { orphans: number; linked: number }; reweighted: number };
  /**
   * The baseline taken after the run, when the corrections brought drift below the warning
   * level; null when they did not (the old baseline stays, so the monitor keeps seeing it).
   */
  newBaseline: Baseline | null;
}

/**
 * Self-correction (EARL v2): consolidate the L4 backlog, re-link orphans, re-weight by
 * outcome history, re-baseline. Before/after figures go to `self_corrections` for the UI.
 * Re-baselining only follows a run that brought drift back under the warning level: one
 * that did not would otherwise hide the drift it failed to correct.
 */
export async function selfCorrect(
  door: UserDoor,
  userId: string,
  reason: string,
  opts: CognitionOptions & { progress?: (fraction: number, step: string) => Promise<void> } = {},
): Promise<SelfCorrectionReport> {
  const progress = opts.progress ?? (async () => undefined);
  const { id, before, baseline } = await door.withUserTransaction(userId, async (c) => {
    const params = (await loadFramework(c)).params;
    const baseline = await latestBaseline(c);
    const before = await measureDrift(c, params, baseline);
    const r = await c.query<{ id: string }>('INSERT INTO self_corrections (reason, before) VALUES ($1, $2) RETURNING id', [reason.slice(0, 500), JSON.stringify(before)]);
    return { id: Number(r.rows[0]!.id), before, baseline };
  });
  let consolidated: Awaited<ReturnType<typeof consolidateBacklog>>;
  let relinked: Awaited<ReturnType<typeof relinkOrphans>>;
  let reweighted: number;
  try {
    await progress(0.05, 'consolidating the archive');
    consolidated = await consolidateBacklog(door, userId, { ...opts, onBatch: () => progress(0.3, 'consolidating the archive') });
    await progress(0.4, 'linking orphans');
    relinked = await relinkOrphans(door, userId, opts);
    await progress(0.6, 're-weighting by outcomes');
    reweighted = await reweightAll(door, userId);
    await progress(0.9, 're-baselining');
  } catch (e) {
    // Paused or failed midway: the record says so and ends, rather than staying "running" for ever.
    const why = toEmilyError(e).message.slice(0, 200);
    await door.withUser(userId, (c) => c.query("UPDATE self_corrections SET finished_at = now(), reason = left(reason || ' (interrupted: ' || $2 || ')', 500) WHERE id = $1", [id, why])).catch(() => undefined);
    throw e;
  }
  return door.withUserTransaction(userId, async (c) => {
    const params = (await loadFramework(c)).params;
    const after = await measureDrift(c, params, baseline);
    // Re-baselining is the job's last step (cognition.md), whatever the steps achieved: the
    // record keeps the drift before and after against the old baseline. Keeping the old one
    // when drift stayed high queued this job again at every drift check, for ever, while the
    // profile merely grew (integration rises with every link).
    const newBaseline = await snapshotBaseline(c);
    const steps = { consolidated, relinked, reweighted };
    await c.query('UPDATE self_corrections SET after = $2, finished_at = now() WHERE id = $1', [id, JSON.stringify({ ...after, steps, newBaselineId: newBaseline?.id ?? null })]);
    return { id, reason, before, after, steps, newBaseline };
  });
}

/**
 * Outcome metrics from history and graph metrics from edges, for every memory, in chunks.
 * A memory without outcome events is recomputed too: its metrics then return to what its
 * confidence, source and provenance alone justify (the history decides, not past drift).
 */
async function reweightAll(door: UserDoor, userId: string): Promise<number> {
  let last = 0;
  let n = 0;
  for (;;) {
    const done = await door.withUserTransaction(userId, async (c) => {
      const params = (await loadFramework(c)).params;
      const ids = (await c.query<{ id: string }>('SELECT id FROM memories WHERE id > $1 ORDER BY id LIMIT 1000', [last])).rows.map((r) => Number(r.id));
      if (!ids.length) return 0;
      await recomputeOutcomeMetrics(c, ids, params);
      await refreshGraphMetrics(c, ids);
      last = ids[ids.length - 1]!;
      return ids.length;
    });
    if (!done) return n;
    n += done;
  }
}

export interface DriftCheck {
  report: DriftReport;
  baselineCreated: boolean;
  job: Job | null;
}

/**
 * The monitor: takes the first baseline once there are enough memories, and queues a
 * self-correction when drift passes the warning level. Cheap; call it now and then.
 */
export async function checkDrift(door: UserDoor, userId: string, opts: { minMemories?: number } = {}): Promise<DriftCheck> {
  return door.withUserTransaction(userId, async (c) => {
    const params = (await loadFramework(c)).params;
    let report = await measureDrift(c, params);
    let baselineCreated = false;
    if (!report.baseline && report.memoryCount >= (opts.minMemories ?? 10)) {
      await snapshotBaseline(c);
      baselineCreated = true;
      report = await measureDrift(c, params);
    }
    let job: Job | null = null;
    if (report.level === 'warning' || report.level === 'critical') {
      job = (await enqueueJob(c, 'self-correct', { reason: `drift ${report.drift} (${report.level})` }, { dedupeKey: 'self-correct' })).job;
    }
    return { report, baselineCreated, job };
  });
}

export async function driftReport(door: UserDoor, userId: string): Promise<DriftReport> {
  return door.withUser(userId, async (c) => measureDrift(c, (await loadFramework(c)).params));
}

export async function listSelfCorrections(door: UserDoor, userId: string, limit = 20): Promise<{ id: number; reason: string; before: unknown; after: unknown; startedAt: string; finishedAt: string | null }[]> {
  const r = await door.withUser(userId, (c) =>
    c.query<{ id: string; reason: string; before: unknown; after: unknown; started_at: Date; finished_at: Date | null }>(
      'SELECT id, reason, before, after, started_at, finished_at FROM self_corrections ORDER BY id DESC LIMIT $1',
      [Math.min(200, Math.max(1, limit))],
    ),
  );
  return r.rows.map((x) => ({ id: Number(x.id), reason: x.reason, before: x.before, after: x.after, startedAt: x.started_at.toISOString(), finishedAt: x.finished_at ? x.finished_at.toISOString() : null }));
}
