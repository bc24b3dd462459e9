import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createApi, type Api } from '../../electron/api/composition.js';
import type { Services } from '../../electron/api/services.js';
import type { Emily } from '../../electron/core/emily.js';
import { FileSecretStore, type SecretStore } from '../../electron/secrets/secretStore.js';
import { startBrowserServer, type BrowserServer } from '../../electron/server/browserServer.js';
import { useTestEmily, type TestEmily } from './testEmily.js';

export interface TestBrowserMode {
  readonly t: TestEmily;
  readonly api: Api;
  readonly server: BrowserServer;
  /** Scratch folder of this file: state file, key store. */
  readonly dir: string;
}

/**
 * Browser mode on the run's test cluster, as `emily serve` runs it, with its own state
 * and key store. Pass services (memory, chat, portability) to serve those domains too.
 */
export function useBrowserMode(opts: { rendererDir: string | (() => string); services?: Services | ((emily: Emily, secrets: SecretStore) => Services); bodyLimit?: number; uploadLimit?: number }): TestBrowserMode {
  const t = useTestEmily();
  let api: Api | undefined;
  let server: BrowserServer | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-browser-'));
  beforeAll(async () => {
    const secrets = new FileSecretStore(path.join(dir, 'secrets.json'));
    api = createApi({ emily: t.emily, mode: 'browser', stateFile: path.join(dir, 'state.json'), secrets, services: typeof opts.services === 'function' ? opts.services(t.emily, secrets) : opts.services });
    const rendererDir = typeof opts.rendererDir === 'function' ? opts.rendererDir() : opts.rendererDir;
    server = await startBrowserServer({ api, rendererDir, bodyLimit: opts.bodyLimit, uploadLimit: opts.uploadLimit });
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    api?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    t,
    dir,
    get api() {
      if (!api) throw new Error('useBrowserMode: not started yet');
      return api;
    },
    get server() {
      if (!server) throw new Error('useBrowserMode: not started yet');
      return server;
    },
  };
}
