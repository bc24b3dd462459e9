import type { ErrorCode } from '../../core/errors.js';
import type { ProfilesView, UsedMemory } from './views.js';

/** Everything the core pushes to the renderer, by event name. */
export interface ApiEvents {
  /** A piece of a streamed reply. */
  'chat.token': { operationId: string; text: string };
  /** The memories a reply is drawing on, sent before the first token. */
  'chat.memories': { operationId: string; uses: UsedMemory[] };
  /** How the reply is being made, and why (no model, model unreachable, error mid-stream). */
  'chat.status': { operationId: string; answeredBy: 'model' | 'memory'; reason: 'no-model' | 'unreachable' | 'model-error' | null; message: string };
  /** Anything slow: export, import, backup, restore, re-embedding. total null = unknown. */
  progress: { operationId: string; phase: string; done: number; total: number | null; message: string };
  /** A long operation ended in an error (its call also answers with it). */
  'operation.failed': { operationId: string; error: { code: ErrorCode; message: string } };
  'profiles.changed': ProfilesView;
  'background.changed': { paused: boolean };
}

export type ApiEventName = keyof ApiEvents;
export type ApiEvent = { [K in ApiEventName]: { name: K; payload: ApiEvents[K] } }[ApiEventName];
