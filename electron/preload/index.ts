import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNELS, type EmilyBridge } from '../api/bridge.js';
import type { ApiEvent } from '../api/contract/index.js';

/** The one object the renderer gets: typed calls, events, file dialogs. Never ipcRenderer. */
const bridge = {
  transport: 'ipc',
  call: (method, input) => ipcRenderer.invoke(IPC_CHANNELS.call, method, input),
  onEvent: (listener) => {
    const handler = (_e: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on(IPC_CHANNELS.event, handler);
    return () => void ipcRenderer.removeListener(IPC_CHANNELS.event, handler);
  },
  // The core lives in this app's main process: the connection cannot drop.
  onConnection: () => () => undefined,
  files: {
    chooseOpen: (opts) => ipcRenderer.invoke(IPC_CHANNELS.chooseOpen, opts),
    chooseSave: (opts) => ipcRenderer.invoke(IPC_CHANNELS.chooseSave, opts),
    deliver: async () => undefined,
  },
} satisfies EmilyBridge;

contextBridge.exposeInMainWorld('emily', bridge);
