import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteUser } from '../../electron/operations/users.js';
import { useE2E } from '../support/e2e.js';

const e2e = useE2E();
const tag = randomBytes(3).toString('hex');
const ana = `Ana ${tag}`;
const bruno = `Bruno ${tag}`;
const idsByName = new Map<string, string>();

afterAll(async () => {
  for (const id of idsByName.values()) await deleteUser(e2e.t.emily, id).catch(() => undefined);
});

async function profileId(name: string): Promise<string> {
  const u = (await e2e.t.emily.catalog.list()).find((x) => x.displayName === name);
  if (!u) throw new Error(`no profile named ${name}`);
  idsByName.set(name, u.id);
  return u.id;
}

describe('e2e (Chromium, browser mode): profiles, health, settings', () => {
  it('the token link opens the app and leaves no token in the address bar', async () => {
    const page = await e2e.openApp();
    expect(page.url()).toBe(`http://127.0.0.1:${e2e.server.port}/`);
    await expect(page.locator('.sidebar').getByText('browser mode')).toBeTruthy();
    await page.close();
  });

  it('creates a profile: it becomes current, with its own database', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Profiles', exact: true }).click();
    await page.getByLabel('New profile name').fill(ana);
    await page.getByRole('button', { name: 'Create profile' }).click();
    await page.getByTestId('current-profile').filter({ hasText: ana }).waitFor();
    const row = page.getByTestId('profile-row').filter({ hasText: ana });
    await row.getByText('current').waitFor();
    const id = await profileId(ana);
    const db = await e2e.t.emily.withUser(id, async (c) => (await c.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d);
    expect(db).toBe(`emily_u_${id}`);
    await e2e.screenshot(page, 'profile-created');
    await page.close();
  });

  it('switches profiles, and the choice survives a reload', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Profiles', exact: true }).click();
    await page.getByLabel('New profile name').fill(bruno);
    await page.getByRole('button', { name: 'Create profile' }).click();
    await page.getByTestId('current-profile').filter({ hasText: bruno }).waitFor();
    await profileId(bruno);
    await page.getByRole('button', { name: `Switch to ${ana}` }).click();
    await page.getByTestId('current-profile').filter({ hasText: ana }).waitFor();
    expect(e2e.api.deps.state.get().currentProfileId).toBe(idsByName.get(ana));
    await page.reload();
    await page.getByTestId('current-profile').filter({ hasText: ana }).waitFor();
    await e2e.screenshot(page, 'profile-switched');
    await page.close();
  });

  it('shows the health page with the doctor results', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const health = page.getByTestId('health');
    await health.getByText(/PostgreSQL 15\./).waitFor();
    await health.getByTestId('health-summary').waitFor();
    await health.getByRole('list', { name: 'Profile checks' }).getByText(ana).waitFor();
    expect(await health.getByText(/^0\.8\./).count()).toBe(1);
    await page.getByTestId('data-home').getByText(e2e.t.emily.home).waitFor();
    await e2e.screenshot(page, 'health');
    await page.close();
  });

  it('changes a setting: stored in the profile database; the key goes to the key store only', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const form = page.getByRole('form', { name: 'Language model' });
    await form.getByLabel('Provider').selectOption('openai-compatible');
    await form.getByLabel('Model', { exact: true }).fill('llama3.1');
    await form.getByLabel('Server address').fill('http://127.0.0.1:11434/v1');
    const key = `sk-e2e-${tag}-secret`;
    await form.getByLabel(/API key/).fill(key);
    // An edit of the other form, not saved: saving this one must not wipe it.
    const embedding = page.getByRole('form', { name: 'Embedding model' });
    await embedding.getByLabel('Provider').selectOption('openai-compatible');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('settings-notice').waitFor();
    await form.getByText('stored').waitFor();
    expect(await embedding.getByLabel('Provider').inputValue()).toBe('openai-compatible');
    await embedding.getByLabel('Provider').selectOption('builtin');
    const rows = await e2e.t.emily.withUser(idsByName.get(ana)!, async (c) => (await c.query<{ key: string; value: unknown }>('SELECT key, value FROM settings')).rows);
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value]))).toMatchObject({ 'model.provider': 'openai-compatible', 'model.name': 'llama3.1', 'model.base_url': 'http://127.0.0.1:11434/v1' });
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(fs.readFileSync(`${e2e.dir}/secrets.json`, 'utf8')).toContain(key);
    // The background-work switch, too.
    await page.getByRole('switch', { name: 'Background work' }).click();
    await page.getByTestId('background-state').getByText(/Paused/).waitFor();
    expect(e2e.api.deps.state.get().backgroundPaused).toBe(true);
    await page.reload();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    expect(await page.getByRole('form', { name: 'Language model' }).getByLabel('Model', { exact: true }).inputValue()).toBe('llama3.1');
    await e2e.screenshot(page, 'settings-changed');
    await page.getByRole('switch', { name: 'Background work' }).click();
    await page.getByTestId('background-state').getByText('On').waitFor();
    await page.close();
  });

  it('says plainly which parts this build lacks (chat, memories, export/import) instead of faking them', async () => {
    const page = await e2e.openApp();
    for (const [nav, what] of [['Chat', 'Chat'], ['Memories', 'The memory browser'], ['Your data', 'Export, import and backups']] as const) {
      await page.getByRole('button', { name: nav, exact: true }).click();
      await page.getByTestId('unavailable').getByText(`${what} is not available in this build.`).waitFor();
    }
    await e2e.screenshot(page, 'not-available');
    await page.close();
  });

  it('deletes a profile only after its exact name is typed', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Profiles', exact: true }).click();
    const row = page.getByTestId('profile-row').filter({ hasText: bruno });
    const opener = row.getByRole('button', { name: `Delete ${bruno}`, exact: true });
    await opener.click();
    // Escape closes the confirmation and gives the focus back to the button that opened it.
    await row.getByLabel('Type the profile name to confirm').press('Escape');
    await row.getByLabel('Type the profile name to confirm').waitFor({ state: 'detached' });
    await expect.poll(() => opener.evaluate((el) => el === document.activeElement)).toBe(true);
    await opener.click();
    const confirm = row.getByRole('button', { name: `Delete ${bruno} for ever` });
    await row.getByLabel('Type the profile name to confirm').fill(bruno.toLowerCase());
    expect(await confirm.isDisabled()).toBe(true);
    await row.getByLabel('Type the profile name to confirm').fill(bruno);
    await confirm.click();
    await row.waitFor({ state: 'detached' });
    await expect(e2e.t.emily.catalog.get(idsByName.get(bruno)!)).rejects.toThrow(/no user/);
    idsByName.delete(bruno);
    await e2e.screenshot(page, 'profile-deleted');
    await page.close();
  });
});
