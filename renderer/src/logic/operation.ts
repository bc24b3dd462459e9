import type { ApiEvents } from '../../../electron/api/contract/index.js';

/** One long operation (export, import, backup, restore) as the UI follows it. */
export interface OperationView {
  operationId: string;
  label: string;
  phase: string;
  done: number;
  total: number | null;
  message: string;
}

export function startOperation(operationId: string, label: string): OperationView {
  return { operationId, label, phase: 'starting', done: 0, total: null, message: 'Starting…' };
}

/** Applies a progress event if it belongs to this operation; never goes backwards. */
export function applyProgress(op: OperationView | null, p: ApiEvents['progress']): OperationView | null {
  if (!op || p.operationId !== op.operationId) return op;
  const sameTotal = p.total === op.total && p.phase === op.phase;
  return { ...op, phase: p.phase, total: p.total, done: sameTotal ? Math.max(op.done, p.done) : p.done, message: p.message };
}
