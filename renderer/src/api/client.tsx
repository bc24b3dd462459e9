import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { EmilyBridge } from '../../../electron/api/bridge.js';
import type { ApiEvent, InputOf, MethodName, OutputOf } from '../../../electron/api/contract/index.js';
import { createHttpBridge } from './httpBridge.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    emily?: EmilyBridge;
  }
}

/** An API error as the UI shows it: the code decides the tone, the message says what to do. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export function defaultBridge(): EmilyBridge {
  return window.emily ?? createHttpBridge();
}

const BridgeContext = createContext<EmilyBridge | null>(null);

export function BridgeProvider({ bridge, children }: { bridge: EmilyBridge; children: ReactNode }) {
  return <BridgeContext.Provider value={bridge}>{children}</BridgeContext.Provider>;
}

export function useBridge(): EmilyBridge {
  const b = useContext(BridgeContext);
  if (!b) throw new Error('useBridge outside BridgeProvider');
  return b;
}

/** Calls a method and throws ApiError on { ok:false }. */
export function useCall() {
  const bridge = useBridge();
  return useCallback(
    async <M extends MethodName>(method: M, input: InputOf<M>): Promise<OutputOf<M>> => {
      const r = await bridge.call(method, input);
      if (!r.ok) throw new ApiError(r.error.code, r.error.message);
      return r.value as OutputOf<M>;
    },
    [bridge],
  );
}

export interface Query<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/** Loads once per change of key; keeps the previous data while reloading (no layout jumps). */
export function useQuery<M extends MethodName>(method: M, input: InputOf<M>, opts: { enabled?: boolean; key?: unknown } = {}): Query<OutputOf<M>> {
  const call = useCall();
  const [data, setData] = useState<OutputOf<M>>();
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const inputKey = JSON.stringify(input);
  const enabled = opts.enabled ?? true;
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    setLoading(true);
    call(method, JSON.parse(inputKey) as InputOf<M>)
      .then((v) => live && (setData(v), setError(null)))
      .catch((e: unknown) => live && setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e))))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [call, method, inputKey, tick, enabled, opts.key]);
  return { data, error, loading, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** Subscribes to pushed events for the component's lifetime. */
export function useEvents(listener: (e: ApiEvent) => void): void {
  const bridge = useBridge();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => bridge.onEvent((e) => ref.current(e)), [bridge]);
}

export function newOperationId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return 'op_' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
