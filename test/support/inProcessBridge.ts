import type { EmilyBridge } from '../../electron/api/bridge.js';
import type { Api } from '../../electron/api/composition.js';

/**
 * The renderer's bridge wired straight to a real API (real core, real database) in the
 * test process: component tests exercise the screens against the real thing, minus the
 * transport. Files are not chosen here (there is no dialog to answer).
 */
export function inProcessBridge(api: Api): EmilyBridge {
  return {
    transport: 'ipc',
    call: (method, input) => api.dispatcher.call(method, JSON.parse(JSON.stringify(input ?? {})), { signal: new AbortController().signal }) as never,
    onEvent: (l) => api.deps.events.subscribe(l),
    onConnection: () => () => undefined,
    files: {
      chooseOpen: async () => null,
      chooseSave: async () => null,
      deliver: async () => undefined,
    },
  };
}
