import { chatContract } from './chat.js';
import { healthContract, operationsContract, profilesContract, settingsContract, systemContract } from './core.js';
import type { InputOfDef, OutputOfDef } from './define.js';
import { memoryContract } from './memory.js';
import { portabilityContract } from './portability.js';
import type { ApiResult } from './result.js';

/**
 * The one API contract: method name → request schema + response type. The Electron IPC
 * and HTTP/WebSocket transports both serve it; the renderer imports it type-only.
 */
export const apiContract = {
  ...systemContract,
  ...profilesContract,
  ...healthContract,
  ...settingsContract,
  ...operationsContract,
  ...memoryContract,
  ...chatContract,
  ...portabilityContract,
};

export type ApiContract = typeof apiContract;
export type MethodName = keyof ApiContract;
export type InputOf<M extends MethodName> = InputOfDef<ApiContract[M]>;
export type OutputOf<M extends MethodName> = OutputOfDef<ApiContract[M]>;

/** The API as the renderer sees it, on any transport. */
export type EmilyApi = { [M in MethodName]: (input: InputOf<M>) => Promise<ApiResult<OutputOf<M>>> };

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(apiContract, name);
}

export { memoryContract, chatContract, portabilityContract, systemContract, profilesContract, healthContract, settingsContract, operationsContract };
export type { ApiResult } from './result.js';
export type { ApiEvent, ApiEventName, ApiEvents } from './events.js';
export * from './views.js';
