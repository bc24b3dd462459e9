import type { Emily } from '../core/emily.js';
import { chatService } from './adapters/chatService.js';
import { memoryService } from './adapters/memoryService.js';
import { portabilityService } from './adapters/portabilityService.js';
import type { Services } from './services.js';

/**
 * The one place where the memory engine, the chat pipeline and portability are plugged
 * into the API, for both the desktop app and browser mode.
 */
export async function defaultServices(emily: Emily): Promise<Services> {
  return { memory: memoryService(emily), chat: chatService(emily), portability: portabilityService(emily) };
}
