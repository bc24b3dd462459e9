import { resolveEmbedder } from '../../cognition/index.js';
import type { Emily } from '../../core/emily.js';
import { BackgroundSwitch, cognitionHandlers, JobRunner } from '../../jobs/index.js';
import type { BackgroundWork } from '../services.js';

/**
 * Background work of the app process: one job runner over every user's job table
 * (re-embedding, consolidation, self-correction) under the one global pause switch.
 */
export function backgroundService(emily: Emily): BackgroundWork & { stop(): Promise<void> } {
  const pause = new BackgroundSwitch(emily.home);
  const runner = new JobRunner({
    door: emily,
    handlers: cognitionHandlers({ embedderFor: (door, userId) => resolveEmbedder(door, userId) }),
    switch: pause,
    listUsers: async () => (await emily.catalog.list()).map((u) => u.id),
  });
  runner.start();
  return {
    isPaused: async () => pause.paused,
    setPaused: async (paused) => (paused ? pause.pause() : pause.resume()),
    stop: () => runner.stop(),
  };
}
