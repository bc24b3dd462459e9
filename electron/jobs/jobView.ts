import type { Job } from './queue.js';

const LABELS: Record<string, string> = {
  reembed: 'Re-embedding memories and turns',
  consolidate: 'Distilling the archive into memories',
  'self-correct': 'Self-correction',
};

/**
 * What a person is told about a background job: what it does and how far it is, in words.
 * The payload stays out (it is the worker's business, and may name internals).
 */
export function describeJob(job: Pick<Job, 'kind' | 'status' | 'progress' | 'detail' | 'lastError'>): string {
  const label = LABELS[job.kind] ?? job.kind;
  const d = job.detail;
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  const parts: string[] = [label];
  if (typeof d.step === 'string') parts.push(d.step);
  const total = num('total');
  const done = (num('embedded') ?? 0) + (num('turns') ?? 0);
  if (total !== undefined) parts.push(`${done} of ${total}`);
  else if (num('turns') !== undefined) parts.push(`${done} turns`);
  if (job.status === 'failed' && job.lastError) parts.push(`failed: ${job.lastError.slice(0, 200)}`);
  return parts.join(' — ');
}
