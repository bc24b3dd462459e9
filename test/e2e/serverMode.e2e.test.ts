import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../electron/api/adapters/chatService.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { portabilityService } from '../../electron/api/adapters/portabilityService.js';
import { deleteUser } from '../../electron/operations/users.js';
import { exportUser } from '../../electron/portability/exportDump.js';
import { InstantModel } from '../../electron/providers/llm/instant.js';
import { buildRenderer, CHROMIUM, screenshot } from '../support/e2e.js';
import { PASSWORD, useServerMode } from '../support/serverMode.js';

let rendererDir = '';
beforeAll(async () => {
  rendererDir = await buildRenderer();
});
const s = useServerMode({
  renderer: () => rendererDir,
  services: (emily) => ({ memory: memoryService(emily), chat: chatService(emily, { fixedModel: new InstantModel() }), portability: portabilityService(emily) }),
  rateLimit: { authPerMinute: 100 },
});
const contexts: BrowserContext[] = [];
const profileDirs: string[] = [];
const newContext = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-chromium-'));
  profileDirs.push(dir);
  const c = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  contexts.push(c);
  return c;
};
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  // Each browser's profile is a few megabytes; a run used to leave them all behind.
  for (const d of profileDirs) fs.rmSync(d, { recursive: true, force: true });
  for (const a of await s.server.accounts.list()) if (a.username.startsWith('e2e-')) await s.server.accounts.remove(a.userId).catch(() => undefined);
  if (rendererDir) fs.rmSync(rendererDir, { recursive: true, force: true });
});

/** A new browser on the sign-in page, signed up as a new account, in the app. */
async function signedUpPage(username: string): Promise<Page> {
  const page = await (await newContext()).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${s.origin()}/login`);
  await signUp(page, username);
  return page;
}

/** On the sign-in page: a new account, then the app. */
async function signUp(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForSelector('.app .sidebar');
}

describe('e2e (Chromium, server mode): sign up, chat over the events socket, sign out', () => {
  it('a visitor signs up, chats with a streamed reply, signs out; a second account sees nothing of the first', async () => {
    const page = await (await newContext()).newPage();
    page.setDefaultTimeout(15_000);
    const frames: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    await page.goto(`${s.origin()}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await signUp(page, 'e2e-olga');
    await page.getByTestId('current-profile').filter({ hasText: 'e2e-olga' }).waitFor();
    await page.getByText('server mode').waitFor();
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    const box = page.getByLabel('Message');
    await box.fill('My cat is called Pimienta.');
    await box.press('Enter');
    await page.getByTestId('message-assistant').filter({ hasText: 'I hear you: My cat is called Pimienta.' }).waitFor();
    // The reply streamed over the account's events socket (the page's CSP allows it).
    expect(frames.some((f) => f.includes('"chat.token"'))).toBe(true);
    expect(await page.getByText('Lost the connection').count()).toBe(0);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'emily_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${s.origin()}/`);
    expect(new URL(page.url()).pathname).toBe('/login');

    const other = await signedUpPage('e2e-pavel');
    await other.getByRole('button', { name: 'Chat', exact: true }).click();
    await other.getByLabel('Message').waitFor();
    expect(await other.content()).not.toContain('Pimienta');
    await other.getByRole('button', { name: 'Profiles', exact: true }).click();
    await other.getByText('e2e-pavel').first().waitFor();
    expect(await other.content()).not.toContain('e2e-olga');

    // Back on the first browser: wrong password refused on the page, the right one lets her in again.
    await page.getByLabel('Username').fill('e2e-olga');
    await page.getByLabel('Password').fill('not my password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('.app .sidebar');
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await page.getByText('My cat is called Pimienta.').first().waitFor();
  });

  it('an account brings its Emily in: Your data, "Replace", the typed name, the dump file; her memories are then the ones in the file', async () => {
    // The Emily being brought in: a desktop profile, exported as the desktop app does.
    const desktop = await s.t.user('e2e desktop Emily');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-e2e-bring-'));
    try {
      await s.t.emily.withUser(desktop.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('My sister Ines lives in Porto.', 'fact', 'user-stated')"));
      const file = path.join(dir, 'my-emily.dump');
      await exportUser(s.t.emily, desktop.id, file, { format: 'custom' });

      const page = await signedUpPage('e2e-rita');
      await page.getByRole('button', { name: 'Your data', exact: true }).click();
      // A dump cannot become a second profile here; the page says how to bring one in instead.
      await page.getByText('replace this one with her pg_dump file').waitFor();
      expect(await page.getByRole('button', { name: 'Import an Emily…' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Replace e2e-rita…' }).click();
      await page.getByLabel('Type the profile name to confirm').fill('e2e-rita');
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Replace e2e-rita: choose the file' }).click();
      await (await chooser).setFiles(file);
      await page.getByRole('status').filter({ hasText: 'e2e-rita now holds the Emily from my-emily.dump' }).waitFor({ timeout: 60_000 });
      const account = (await s.server.accounts.list()).find((a) => a.username === 'e2e-rita')!;
      const memories = await s.t.emily.withUser(account.userId, async (c) => (await c.query<{ content: string }>('SELECT content FROM memories')).rows.map((r) => r.content));
      expect(memories).toEqual(['My sister Ines lives in Porto.']);
      await page.getByRole('button', { name: 'Memories', exact: true }).click();
      await page.getByText('My sister Ines lives in Porto.').first().waitFor();
      await screenshot(page, 'server-mode-brought-in');
    } finally {
      await deleteUser(s.t.emily, desktop.id).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
