import type { Emily } from '../core/emily.js';
import { homeSecretStore, type SecretStore } from '../secrets/secretStore.js';
import { keyedEmbedderFor } from './adapters/embedderFor.js';
import { backgroundService } from './adapters/backgroundService.js';
import { chatService } from './adapters/chatService.js';
import { memoryService } from './adapters/memoryService.js';
import { portabilityService } from './adapters/portabilityService.js';
import type { Services } from './services.js';

/**
 * The one place where the memory engine, the chat pipeline and portability are plugged
 * into the API, for both the desktop app and browser mode. Pass the key store the API uses,
 * so that a configured embedding server gets its API key.
 */
export async function defaultServices(emily: Emily, secrets: SecretStore = homeSecretStore(emily.home)): Promise<Services> {
  const embedderFor = keyedEmbedderFor(emily, secrets);
  const background = backgroundService(emily, embedderFor);
  const chat = chatService(emily, { embedderFor });
  const memory = memoryService(emily, embedderFor);
  // What a user just did may have queued background work (a drift check's self-correction,
  // re-embedding after a model switch): the job runner looks at their job table soon.
  const applyEmbedding = memory.applyEmbedding;
  return {
    memory: {
      ...memory,
      ...(applyEmbedding && {
        applyEmbedding: async (userId, embedding) => {
          await applyEmbedding(userId, embedding);
          background.nudge(userId);
        },
      }),
    },
    chat: {
      ...chat,
      send: async (userId, model, req, sink, signal) => {
        try {
          return await chat.send(userId, model, req, sink, signal);
        } finally {
          background.nudge(userId);
        }
      },
    },
    portability: portabilityService(emily),
    background,
    shutdown: async () => {
      await background.stop();
      await chat.settle?.();
    },
  };
}
