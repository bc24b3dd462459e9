import type { Emily } from '../../core/emily.js';
import { BackgroundSwitch, cognitionHandlers, JobRunner } from '../../jobs/index.js';
import { runDueBackups } from '../../portability/scheduler.js';
import type { BackgroundWork } from '../services.js';
import { unkeyedEmbedderFor, type EmbedderFor } from './embedderFor.js';

/**
 * Background work of the app process: one job runner over every user's job table
 * (re-embedding, consolidation, self-correction) and the daily backups, under the one global
 * pause switch.
 */
export function backgroundService(emily: Emily, embedderFor: EmbedderFor = unkeyedEmbedderFor(emily)): BackgroundWork & { stop(): Promise<void>; nudge(userId: string): void } {
  const pause = new BackgroundSwitch(emily.home);
  const runner = new JobRunner({
    door: emily,
    handlers: cognitionHandlers({ embedderFor: (_door, userId) => embedderFor(userId) }),
    switch: pause,
    listUsers: async () => (await emily.catalog.list()).map((u) => u.id),
    hasConnection: (userId) => emily.users.hasConnection(userId),
  });
  runner.start();
  // Scheduled backups: due ones (daily, with retention) are made on a slow tick.
  let backingUp: Promise<unknown> | undefined;
  const tick = () => {
    if (pause.paused || backingUp) return;
    backingUp = runDueBackups(emily)
      .catch(() => undefined)
      .finally(() => (backingUp = undefined));
  };
  const first = setTimeout(tick, 60_000);
  const timer = setInterval(tick, 60 * 60_000);
  first.unref();
  timer.unref();
  return {
    isPaused: async () => pause.paused,
    setPaused: async (paused) => (paused ? pause.pause() : pause.resume()),
    nudge: (userId) => runner.nudge(userId),
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await runner.stop();
      await backingUp;
    },
  };
}
