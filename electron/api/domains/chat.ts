import type { HandlerMap } from '../contract/define.js';
import { chatContract } from '../contract/chat.js';
import { currentProfile, type ApiDeps } from '../deps.js';
import type { ChatService } from '../services.js';

/** Chat: resolves the profile and its model settings (with the key), streams as events. */
export function chatHandlers(deps: ApiDeps, chat: ChatService): HandlerMap<typeof chatContract> {
  const user = () => currentProfile(deps);
  return {
    'chat.readiness': async () => {
      const { languageModel } = await deps.settings.resolved(await user());
      return { configured: languageModel.provider !== 'none' && languageModel.model !== '', provider: languageModel.provider, model: languageModel.model };
    },
    'chat.conversations': async () => chat.conversations(await user()),
    'chat.open': async ({ conversationId }) => chat.open(await user(), conversationId),
    'chat.rename': async ({ conversationId, title }) => chat.rename(await user(), conversationId, title),
    'chat.delete': async ({ conversationId, forgetMemories }) => {
      await chat.remove(await user(), conversationId, { forgetMemories });
      return { id: conversationId };
    },
    'chat.send': async ({ operationId, conversationId, text }, ctx) => {
      const userId = await user();
      const { languageModel } = await deps.settings.resolved(userId);
      return deps.ops.run(operationId, ctx.signal, (signal) =>
        chat.send(
          userId,
          languageModel,
          { conversationId, text },
          {
            memories: (uses) => deps.events.emit('chat.memories', { operationId, uses }),
            status: (s) => deps.events.emit('chat.status', { operationId, ...s }),
            token: (t) => deps.events.emit('chat.token', { operationId, text: t }),
          },
          signal,
        ),
      );
    },
    'chat.feedback': async ({ messageId, verdict, correction }) => {
      await chat.feedback(await user(), messageId, verdict, correction);
      return { ok: true as const };
    },
  };
}
