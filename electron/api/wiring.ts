import type { Emily } from '../core/emily.js';
import { backgroundService } from './adapters/backgroundService.js';
import { chatService } from './adapters/chatService.js';
import { memoryService } from './adapters/memoryService.js';
import { portabilityService } from './adapters/portabilityService.js';
import type { Services } from './services.js';

/**
 * The one place where the memory engine, the chat pipeline and portability are plugged
 * into the API, for both the desktop app and browser mode.
 */
export async function defaultServices(emily: Emily): Promise<Services> {
  const background = backgroundService(emily);
  const chat = chatService(emily);
  return {
    memory: memoryService(emily),
    chat,
    portability: portabilityService(emily),
    background,
    shutdown: async () => {
      await background.stop();
      await chat.settle?.();
    },
  };
}
