import type pg from 'pg';
import { EmilyError } from '../core/errors.js';

/**
 * The job table of one user database: enqueue with an optional dedupe key, claim with
 * FOR UPDATE SKIP LOCKED under a lease, report progress (which renews the lease), finish,
 * fail with back-off, and a reaper for leases that ran out (a crashed worker).
 */
export interface Job {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: number;
  detail: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export const MAX_ATTEMPTS = 3;
const KIND_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

type JobRow = { id: string; kind: string; payload: Record<string, unknown>; status: Job['status']; progress: number; detail: Record<string, unknown>; attempts: number; last_error: string | null; created_at: Date; updated_at: Date };
const COLS = 'id, kind, payload, status, progress, detail, attempts, last_error, created_at, updated_at';

function toJob(r: JobRow): Job {
  return {
    id: Number(r.id),
    kind: r.kind,
    payload: r.payload,
    status: r.status,
    progress: Number(r.progress),
    detail: r.detail,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Queues a job; with a dedupe key, an already queued or running job of that key is returned instead. */
export async function enqueueJob(client: pg.ClientBase, kind: string, payload: Record<string, unknown> = {}, opts: { dedupeKey?: string } = {}): Promise<{ job: Job; created: boolean }> {
  if (!KIND_RE.test(kind)) throw new EmilyError('BAD_INPUT', `"${kind.slice(0, 40)}" is not a job kind`);
  const ins = await client.query<JobRow>(
    `INSERT INTO jobs (kind, payload, dedupe_key) VALUES ($1, $2, $3)
     ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') AND dedupe_key IS NOT NULL DO NOTHING RETURNING ${COLS}`,
    [kind, JSON.stringify(payload), opts.dedupeKey ?? null],
  );
  if (ins.rows[0]) return { job: toJob(ins.rows[0]), created: true };
  const existing = await client.query<JobRow>(`SELECT ${COLS} FROM jobs WHERE dedupe_key = $1 AND status IN ('queued', 'running')`, [opts.dedupeKey]);
  return { job: toJob(existing.rows[0]!), created: false };
}

export async function claimJob(client: pg.ClientBase, workerId: string, leaseMs: number): Promise<Job | null> {
  const r = await client.query<JobRow>(
    `UPDATE jobs SET status = 'running', locked_by = $1, locked_until = now() + make_interval(secs => $2::float8 / 1000),
            attempts = attempts + 1, updated_at = now()
      WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_after <= now() ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING ${COLS}`,
    [workerId, leaseMs],
  );
  return r.rows[0] ? toJob(r.rows[0]) : null;
}

/** Leases that ran out (the worker died): back to the queue, or failed after the last attempt. */
export async function reapExpired(client: pg.ClientBase): Promise<number> {
  const r = await client.query(
    `UPDATE jobs SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'queued' END, locked_by = NULL, locked_until = NULL,
            last_error = 'the worker stopped without finishing (lease expired)', updated_at = now()
      WHERE status = 'running' AND locked_until < now()`,
    [MAX_ATTEMPTS],
  );
  return r.rowCount ?? 0;
}

/** Records progress and renews the lease; false when this worker no longer holds the job. */
export async function reportProgress(client: pg.ClientBase, jobId: number, workerId: string, progress: number, detail: Record<string, unknown>, leaseMs: number): Promise<boolean> {
  const r = await client.query(
    `UPDATE jobs SET progress = $3, detail = $4, locked_until = now() + make_interval(secs => $5::float8 / 1000), updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [jobId, workerId, Math.min(1, Math.max(0, progress)), JSON.stringify(detail), leaseMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Renews the lease of a job this worker still runs; false when it no longer holds it. */
export async function renewLease(client: pg.ClientBase, jobId: number, workerId: string, leaseMs: number): Promise<boolean> {
  const r = await client.query(
    `UPDATE jobs SET locked_until = now() + make_interval(secs => $3::float8 / 1000), updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [jobId, workerId, leaseMs],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function finishJob(client: pg.ClientBase, jobId: number, workerId: string, detail: Record<string, unknown>): Promise<void> {
  await client.query(
    `UPDATE jobs SET status = 'done', progress = 1, detail = $3, locked_by = NULL, locked_until = NULL, updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [jobId, workerId, JSON.stringify(detail)],
  );
}

/** A failed attempt: retried with exponential back-off, failed for good after the last. */
export async function failJob(client: pg.ClientBase, jobId: number, workerId: string, error: string): Promise<void> {
  await client.query(
    `UPDATE jobs SET status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'queued' END,
            run_after = now() + make_interval(secs => power(2, attempts) * 5), last_error = left($4, 2000),
            locked_by = NULL, locked_until = NULL, updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [jobId, workerId, MAX_ATTEMPTS, error],
  );
}

/** Paused mid-way: back to the queue without counting the attempt. */
export async function releaseJob(client: pg.ClientBase, jobId: number, workerId: string): Promise<void> {
  await client.query(
    `UPDATE jobs SET status = 'queued', attempts = greatest(0, attempts - 1), locked_by = NULL, locked_until = NULL, updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [jobId, workerId],
  );
}

export async function cancelJob(client: pg.ClientBase, jobId: number): Promise<boolean> {
  const r = await client.query("UPDATE jobs SET status = 'cancelled', locked_by = NULL, locked_until = NULL, updated_at = now() WHERE id = $1 AND status IN ('queued', 'running')", [jobId]);
  return (r.rowCount ?? 0) > 0;
}

export async function listJobs(client: pg.ClientBase, opts: { limit?: number; active?: boolean } = {}): Promise<Job[]> {
  const r = await client.query<JobRow>(
    `SELECT ${COLS} FROM jobs WHERE NOT $1::boolean OR status IN ('queued', 'running') ORDER BY id DESC LIMIT $2`,
    [opts.active ?? false, Math.min(500, Math.max(1, opts.limit ?? 50))],
  );
  return r.rows.map(toJob);
}

export async function getJob(client: pg.ClientBase, jobId: number): Promise<Job> {
  const r = await client.query<JobRow>(`SELECT ${COLS} FROM jobs WHERE id = $1`, [jobId]);
  if (!r.rows[0]) throw new EmilyError('NOT_FOUND', `there is no job ${jobId}`);
  return toJob(r.rows[0]);
}
