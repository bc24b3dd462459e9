import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { ChosenFile } from '../api/bridge.js';
import { IPC_CHANNELS } from '../api/bridge.js';
import type { Api } from '../api/composition.js';
import { isTrustedSender } from '../api/ipcGuard.js';
import { EmilyError, toWireError } from '../core/errors.js';

/** Only our window, showing our renderer, may call the core. */
function checkSender(e: IpcMainInvokeEvent, win: () => BrowserWindow | null): void {
  const w = win();
  if (!isTrustedSender(e.senderFrame?.url, !!w && e.sender === w.webContents)) {
    throw new EmilyError('FORBIDDEN', 'IPC from an unknown sender was refused');
  }
}

const FILTERS = {
  dump: [{ name: 'PostgreSQL dump', extensions: ['dump', 'sql', 'pgdump', 'backup'] }, { name: 'All files', extensions: ['*'] }],
  'chat-history': [{ name: 'Chat history', extensions: ['zip', 'json', 'jsonl'] }, { name: 'All files', extensions: ['*'] }],
};

/**
 * The IPC side of the API: one channel for calls (validated by the dispatcher), one
 * for events, two for the native file dialogs. Nothing else is handled.
 */
export function registerIpc(api: Api, win: () => BrowserWindow | null): () => void {
  ipcMain.handle(IPC_CHANNELS.call, async (e, method: unknown, input: unknown) => {
    try {
      checkSender(e, win);
      if (typeof method !== 'string') throw new EmilyError('BAD_INPUT', 'the method name must be a string');
    } catch (err) {
      return { ok: false, error: toWireError(err) };
    }
    const controller = new AbortController();
    const onGone = () => controller.abort(new EmilyError('CANCELLED', 'the window closed'));
    e.sender.once('destroyed', onGone);
    try {
      return await api.dispatcher.call(method, input, { signal: controller.signal });
    } finally {
      e.sender.off('destroyed', onGone);
    }
  });
  ipcMain.handle(IPC_CHANNELS.chooseOpen, async (e, opts: { title?: unknown; kind?: unknown }): Promise<ChosenFile | null> => {
    checkSender(e, win);
    const kind = opts?.kind === 'dump' ? 'dump' : 'chat-history';
    const w = win()!;
    const r = await dialog.showOpenDialog(w, { title: typeof opts?.title === 'string' ? opts.title.slice(0, 200) : 'Open', properties: ['openFile'], filters: FILTERS[kind] });
    if (r.canceled || !r.filePaths[0]) return null;
    const entry = api.deps.files.register(r.filePaths[0], 'read');
    return { file: entry.ref, name: entry.name };
  });
  ipcMain.handle(IPC_CHANNELS.chooseSave, async (e, opts: { title?: unknown; suggestedName?: unknown }): Promise<ChosenFile | null> => {
    checkSender(e, win);
    const w = win()!;
    const name = typeof opts?.suggestedName === 'string' ? opts.suggestedName.replace(/[^A-Za-z0-9 ._-]/g, '_').slice(0, 100) : 'emily.dump';
    const r = await dialog.showSaveDialog(w, { title: typeof opts?.title === 'string' ? opts.title.slice(0, 200) : 'Save', defaultPath: name, filters: FILTERS.dump });
    if (r.canceled || !r.filePath) return null;
    const entry = api.deps.files.register(r.filePath, 'write');
    return { file: entry.ref, name: entry.name };
  });
  const off = api.deps.events.subscribe((event) => {
    const w = win();
    if (w && !w.isDestroyed()) w.webContents.send(IPC_CHANNELS.event, event);
  });
  return () => {
    off();
    for (const c of [IPC_CHANNELS.call, IPC_CHANNELS.chooseOpen, IPC_CHANNELS.chooseSave]) ipcMain.removeHandler(c);
  };
}
