import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { build } from 'vite';
import type { Services } from '../../electron/api/services.js';
import type { Emily } from '../../electron/core/emily.js';
import { deleteUser } from '../../electron/operations/users.js';
import { appRoot } from '../../electron/server/rendererDir.js';
import { useBrowserMode, type TestBrowserMode } from './browserMode.js';

export const CHROMIUM = process.env.EMILY_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(appRoot(), 'test-results', 'e2e');

/** Builds the renderer from the current sources into a scratch folder (about a second). */
/** A full-page screenshot in test-results/e2e/, for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function buildRenderer(): Promise<string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-renderer-'));
  await build({ configFile: path.join(appRoot(), 'renderer', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false } });
  return outDir;
}

export interface E2E extends TestBrowserMode {
  /** Creates a profile through the API and makes it current (deleted after the file). */
  createProfile(name: string): Promise<string>;
  /** A new tab on the app, past the token link, with the app shell rendered. */
  openApp(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
}

/**
 * Browser mode on the run's test cluster, driven by Debian's Chromium through
 * playwright-core with a fresh profile folder. Pass services to serve memory, chat or
 * portability in the scenarios that need them.
 */
export function useE2E(opts: { services?: Services | ((emily: Emily) => Services) } = {}): E2E {
  let rendererDir = '';
  let context: BrowserContext | undefined;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-chromium-'));
  beforeAll(async () => {
    rendererDir = await buildRenderer();
  });
  const b = useBrowserMode({ rendererDir: () => rendererDir, services: opts.services });
  beforeAll(async () => {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 860 },
    });
  });
  const created: string[] = [];
  afterAll(async () => {
    for (const id of created) await deleteUser(b.t.emily, id).catch(() => undefined);
    await context?.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    if (rendererDir) fs.rmSync(rendererDir, { recursive: true, force: true });
  });
  return {
    t: b.t,
    dir: b.dir,
    get api() {
      return b.api;
    },
    get server() {
      return b.server;
    },
    async createProfile(name: string) {
      const r = await b.api.dispatcher.call('profiles.create', { name }, { signal: new AbortController().signal });
      if (!r.ok) throw new Error(`createProfile: ${r.error.message}`);
      const id = (r.value as { id: string }).id;
      created.push(id);
      return id;
    },
    async openApp() {
      if (!context) throw new Error('useE2E: browser not started');
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(b.server.url);
      await page.waitForSelector('.app .sidebar');
      return page;
    },
    screenshot,
  };
}
