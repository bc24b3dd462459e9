import type { HandlerMap } from '../contract/define.js';
import { settingsContract } from '../contract/core.js';
import { currentProfile, type ApiDeps } from '../deps.js';

export function settingsHandlers(deps: ApiDeps): HandlerMap<typeof settingsContract> {
  const background = deps.services.background ?? {
    isPaused: async () => deps.state.get().backgroundPaused,
    setPaused: async (paused: boolean) => void deps.state.update({ backgroundPaused: paused }),
  };
  return {
    'settings.get': async () => deps.settings.view(await currentProfile(deps)),
    'settings.update': async (patch) => {
      const userId = await currentProfile(deps);
      const saved = await deps.settings.update(userId, patch);
      if (patch.embedding && deps.services.memory?.applyEmbedding) {
        await deps.services.memory.applyEmbedding(userId, (await deps.settings.resolved(userId)).embedding);
      }
      return saved;
    },
    'settings.testConnection': async ({ target }, ctx) => {
      const resolved = await deps.settings.resolved(await currentProfile(deps));
      if (target === 'language') {
        if (resolved.languageModel.provider === 'none') return { ok: false, message: 'no language model is configured: Emily answers from memory', latencyMs: null };
        if (!deps.services.chat) return { ok: false, message: 'testing a language model is not available in this build', latencyMs: null };
        return deps.services.chat.testLanguageModel(resolved.languageModel, ctx.signal);
      }
      if (!deps.services.memory) return { ok: false, message: 'testing an embedding model is not available in this build', latencyMs: null };
      return deps.services.memory.testEmbedding(resolved.embedding, ctx.signal);
    },
    'background.get': async () => ({ paused: await background.isPaused() }),
    'background.set': async ({ paused }) => {
      await background.setPaused(paused);
      const now = await background.isPaused();
      deps.events.emit('background.changed', { paused: now });
      return { paused: now };
    },
  };
}
