import type { ApiEvent, ApiResult, InputOf, MethodName, OutputOf } from './contract/index.js';

/** A file the user picked (or an export slot): the renderer only ever holds its ref. */
export interface ChosenFile {
  file: string;
  name: string;
}

/**
 * What the renderer talks to, whatever the transport: the Electron preload exposes one
 * object of this type (`satisfies EmilyBridge`), browser mode builds one over HTTP and a
 * WebSocket. The renderer cannot tell them apart.
 */
export interface EmilyBridge {
  readonly transport: 'ipc' | 'http';
  call<M extends MethodName>(method: M, input: InputOf<M>): Promise<ApiResult<OutputOf<M>>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** 'lost' when the core cannot be reached (browser mode: the server stopped). */
  onConnection(listener: (state: 'open' | 'lost') => void): () => void;
  files: {
    chooseOpen(opts: { title: string; kind: 'dump' | 'chat-history' }): Promise<ChosenFile | null>;
    chooseSave(opts: { title: string; suggestedName: string }): Promise<ChosenFile | null>;
    /** After an export: the browser downloads it; the desktop already wrote it in place. */
    deliver(file: ChosenFile): Promise<void>;
  };
}

/** Electron IPC channel names: main accepts these and nothing else. */
export const IPC_CHANNELS = {
  call: 'emily:call',
  event: 'emily:event',
  chooseOpen: 'emily:choose-open',
  chooseSave: 'emily:choose-save',
} as const;
