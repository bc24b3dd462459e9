import type pg from 'pg';
import type { FrameworkParams } from './framework.js';

/** The Golden Baseline's 7 metrics [published]. */
export const DRIFT_METRICS = ['integration', 'source_trust', 'confidence', 'epsilon', 'stability', 'outcome', 'coherence'] as const;
export type DriftMetric = (typeof DRIFT_METRICS)[number];
export type Means = Record<DriftMetric, number>;

export interface Baseline {
  id: number;
  means: Means;
  memoryCount: number;
  createdAt: string;
}

export interface DriftReport {
  baseline: Baseline | null;
  current: Means;
  memoryCount: number;
  /** Relative deviation of each metric from the baseline. */
  perMetric: Partial<Record<DriftMetric, number>>;
  /** Mean relative deviation; null without a baseline. */
  drift: number | null;
  level: 'no-baseline' | 'ok' | 'warning' | 'critical';
  thresholds: { warning: number; critical: number };
}

export async function currentMeans(client: pg.ClientBase): Promise<{ means: Means; count: number }> {
  const r = await client.query<Record<DriftMetric, number | null> & { n: string }>(
    `SELECT count(*) AS n, ${DRIFT_METRICS.map((m) => `avg(${m})::float8 AS ${m}`).join(', ')} FROM memories WHERE NOT archived`,
  );
  const row = r.rows[0]!;
  const means = Object.fromEntries(DRIFT_METRICS.map((m) => [m, round(Number(row[m] ?? 0))])) as Means;
  return { means, count: Number(row.n) };
}

export async function latestBaseline(client: pg.ClientBase): Promise<Baseline | null> {
  const r = await client.query<{ id: string; means: Means; memory_count: number; created_at: Date }>('SELECT id, means, memory_count, created_at FROM baselines ORDER BY id DESC LIMIT 1');
  const b = r.rows[0];
  return b ? { id: Number(b.id), means: b.means, memoryCount: b.memory_count, createdAt: b.created_at.toISOString() } : null;
}

export async function snapshotBaseline(client: pg.ClientBase): Promise<Baseline> {
  const { means, count } = await currentMeans(client);
  const r = await client.query<{ id: string; created_at: Date }>('INSERT INTO baselines (means, memory_count) VALUES ($1, $2) RETURNING id, created_at', [JSON.stringify(means), count]);
  return { id: Number(r.rows[0]!.id), means, memoryCount: count, createdAt: r.rows[0]!.created_at.toISOString() };
}

export function driftBetween(baseline: Means, current: Means): { perMetric: Means; drift: number } {
  const perMetric = {} as Means;
  let sum = 0;
  for (const m of DRIFT_METRICS) {
    // A floor keeps a metric whose baseline is ~0 (integration of a new Emily) from exploding.
    const d = Math.abs(current[m] - baseline[m]) / Math.max(Math.abs(baseline[m]), 0.05);
    perMetric[m] = round(d);
    sum += d;
  }
  return { perMetric, drift: round(sum / DRIFT_METRICS.length) };
}

export async function measureDrift(client: pg.ClientBase, params: FrameworkParams, against?: Baseline | null): Promise<DriftReport> {
  const baseline = against === undefined ? await latestBaseline(client) : against;
  const { means, count } = await currentMeans(client);
  const thresholds = params.drift;
  if (!baseline) return { baseline: null, current: means, memoryCount: count, perMetric: {}, drift: null, level: 'no-baseline', thresholds };
  const { perMetric, drift } = driftBetween(baseline.means, means);
  const level = drift >= thresholds.critical ? 'critical' : drift >= thresholds.warning ? 'warning' : 'ok';
  return { baseline, current: means, memoryCount: count, perMetric, drift, level, thresholds };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
