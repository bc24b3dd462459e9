import { EmilyError } from '../core/errors.js';

interface Waiter {
  since: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A global count of open server connections with a FIFO queue: when the budget is full,
 * callers wait in arrival order instead of failing. `onPressure` runs whenever someone
 * starts waiting, so the pool manager can close an idle pool to make room, and also when
 * fewer than `headroom` permits are left: closing an idle connection ahead of need keeps the
 * wait for its shutdown off the next caller's path.
 */
export class ConnectionBudget {
  private used = 0;
  private peak = 0;
  private readonly waiters: Waiter[] = [];
  onPressure: () => void = () => undefined;
  /** When set, how long each queued caller waited (ms), for benchmarks. */
  waits: number[] | undefined;
  /** When set, how long each new server connection took to open (ms), for benchmarks. */
  connects: number[] | undefined;

  constructor(
    readonly capacity: number,
    private readonly waitTimeoutMs = 30_000,
    readonly headroom = Math.floor(capacity / 10),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new EmilyError('BAD_INPUT', `connection budget must be a positive integer, got ${capacity}`);
  }

  get inUse(): number {
    return this.used;
  }

  get peakInUse(): number {
    return this.peak;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(): Promise<void> {
    if (this.used < this.capacity && this.waiters.length === 0) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        since: performance.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new EmilyError('BUSY', `all ${this.capacity} database connections stayed busy for ${this.waitTimeoutMs / 1000} s; try again, or raise the connection budget`));
        }, this.waitTimeoutMs),
      };
      this.waiters.push(waiter);
      this.onPressure();
    });
  }

  release(): void {
    if (this.used <= 0) throw new EmilyError('INTERNAL', 'connection budget released more often than acquired');
    this.used--;
    const next = this.waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      this.take();
      this.waits?.push(performance.now() - next.since);
      next.resolve();
    }
  }

  private take(): void {
    this.used++;
    if (this.used > this.peak) this.peak = this.used;
    if (this.headroom > 0 && this.used > this.capacity - this.headroom) queueMicrotask(() => this.onPressure());
  }
}
