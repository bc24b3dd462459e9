import { EmilyError } from '../core/errors.js';

/** One progress event; the UI shows `done / total` of `phase` as a bar and `message` under it. */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  message: string;
}

export type ProgressFn = (p: Progress) => void;

/** What every long portability operation accepts. */
export interface LongRunning {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new EmilyError('CANCELLED', `${what} was cancelled; nothing was kept`);
}

/** Calls the callback but never lets a faulty listener break the operation. */
export function reporter(fn: ProgressFn | undefined): ProgressFn {
  return (p) => {
    try {
      fn?.(p);
    } catch {
      // a listener's bug is not the operation's failure
    }
  };
}
