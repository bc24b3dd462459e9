import type { HandlerMap } from '../contract/define.js';
import { memoryContract } from '../contract/memory.js';
import { currentProfile, type ApiDeps } from '../deps.js';
import type { MemoryService } from '../services.js';

/** The memory browser: a thin forward to the memory engine for the current profile. */
export function memoryHandlers(deps: ApiDeps, memory: MemoryService): HandlerMap<typeof memoryContract> {
  const user = () => currentProfile(deps);
  return {
    'memory.list': async (req, ctx) => memory.list(await user(), req, ctx.signal),
    'memory.get': async ({ id }) => memory.get(await user(), id),
    'memory.edit': async ({ id, text }) => memory.edit(await user(), id, text),
    'memory.pin': async ({ id, pinned }) => memory.setPinned(await user(), id, pinned),
    'memory.archive': async ({ id, archived }) => memory.setArchived(await user(), id, archived),
    'memory.delete': async ({ id }) => {
      await memory.remove(await user(), id);
      return { id };
    },
    'memory.balance': async () => memory.balance(await user()),
    'memory.drift': async () => memory.drift(await user()),
    'memory.jobs': async ({ activeOnly }) => memory.jobs(await user(), activeOnly),
    'memory.recall': async ({ query, k }) => memory.recall(await user(), query, k),
  };
}
