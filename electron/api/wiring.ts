import type { Emily } from '../core/emily.js';
import type { Services } from './services.js';

/**
 * The one place where the memory engine, the chat pipeline and portability are plugged
 * into the API, for both the desktop app and browser mode. Until a service is wired here
 * its domain is not registered and the UI says "not available in this build".
 *
 * To wire one: build an object implementing MemoryService / ChatService /
 * PortabilityService (electron/api/services.ts) over the core modules and return it.
 */
export async function defaultServices(_emily: Emily): Promise<Services> {
  return {};
}
