import { EmilyError } from '../core/errors.js';

/**
 * Long calls (a streamed reply, an export) register under the caller's operation id so
 * that `operations.cancel` can abort them from another request.
 */
export class OperationRegistry {
  private readonly running = new Map<string, AbortController>();

  async run<T>(operationId: string, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(operationId)) throw new EmilyError('CONFLICT', `operation ${operationId} is already running; use a new operation id`);
    const controller = new AbortController();
    const onParentAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onParentAbort, { once: true });
    this.running.set(operationId, controller);
    try {
      return await fn(controller.signal);
    } finally {
      parent.removeEventListener('abort', onParentAbort);
      this.running.delete(operationId);
    }
  }

  cancel(operationId: string): boolean {
    const c = this.running.get(operationId);
    if (!c) return false;
    c.abort(new EmilyError('CANCELLED', 'cancelled by the user'));
    return true;
  }

  /** Calls still running (server mode keeps an account's API while any are). */
  get active(): number {
    return this.running.size;
  }

  cancelAll(): void {
    for (const id of [...this.running.keys()]) this.cancel(id);
  }
}
