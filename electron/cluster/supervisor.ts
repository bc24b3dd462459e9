import { toEmilyError, type EmilyError } from '../core/errors.js';
import type { EmbeddedCluster } from './cluster.js';

/**
 * Watches the embedded server while a core runs (desktop app, server mode, long CLI
 * commands): if its postmaster dies (killed, crashed, out of memory) or is stopped by the
 * process that started it, the server is started again on the same port. The pools need no
 * restart: their dead connections are dropped and new ones reach the revived server.
 */
export class ServerSupervisor {
  /** Times this process brought the server back. */
  restarts = 0;
  /** The last failed attempt (the next tick tries again). */
  lastError: EmilyError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly cluster: EmbeddedCluster,
    private readonly intervalMs = 1_000,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref(); // never what keeps a process alive
    return this;
  }

  /** One look (a pid file read and a signal 0 when all is well). */
  check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.busy ??= (async () => {
      if (!this.cluster.serverGone) return;
      try {
        if (await this.cluster.revive()) this.restarts++;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = toEmilyError(e);
      }
    })().finally(() => (this.busy = undefined));
    return this.busy;
  }

  /** Before the core closes (and perhaps stops the server on purpose). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.busy;
  }
}
