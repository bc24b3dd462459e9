import type { ApiEvent, ApiEventName, ApiEvents } from './contract/events.js';

export type EventListener = (event: ApiEvent) => void;

/** Pushes from the core to every connected renderer (IPC window, WebSocket clients). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<K extends ApiEventName>(name: K, payload: ApiEvents[K]): void {
    const event = { name, payload } as ApiEvent;
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One broken listener (a closed socket) must not stop the others.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
