import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../electron/api/adapters/chatService.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { portabilityService } from '../../electron/api/adapters/portabilityService.js';
import { editMemory } from '../../electron/cognition/index.js';
import { deleteUser } from '../../electron/operations/users.js';
import { useE2E } from '../support/e2e.js';
import { startFakeModelServer, type FakeServer } from '../support/fakeModelServer.js';

/** The real services (memory engine, chat pipeline, portability) behind browser mode. */
const e2e = useE2E({ services: (emily) => ({ memory: memoryService(emily), chat: chatService(emily), portability: portabilityService(emily) }) });
const tag = randomBytes(3).toString('hex');
let fake: FakeServer;
let userId = '';
const imported: string[] = [];

beforeAll(async () => {
  fake = await startFakeModelServer({ models: ['test-model'] });
  userId = await e2e.createProfile(`Chat ${tag}`);
  await e2e.api.deps.settings.update(userId, { languageModel: { provider: 'openai-compatible', model: 'test-model', baseUrl: `${fake.url}/v1`, temperature: 0.5 } });
});
afterAll(async () => {
  for (const id of imported) await deleteUser(e2e.t.emily, id).catch(() => undefined);
  await fake.close();
});

describe('e2e (Chromium, browser mode): chat, memories, export and import', () => {
  it('sends a message and sees a streamed reply with the memories it used', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    const box = page.getByLabel('Message');
    fake.script({ kind: 'reply', chunks: ['Nice', ' to meet', ' you!'] });
    await box.fill('My sister Ana lives in Lisbon and loves green tea.');
    await box.press('Enter');
    await page.getByTestId('message-assistant').filter({ hasText: 'Nice to meet you!' }).waitFor();
    // A screen reader hears the finished reply once, not each token, nor the whole list.
    await expect.poll(() => page.getByTestId('chat-announcement').textContent()).toBe('Emily: Nice to meet you!');
    expect(await page.locator('.messages[aria-live], .messages [aria-live]').count()).toBe(0);
    fake.script({ kind: 'reply', chunks: ['Ana', ' lives', ' in Lisbon.'] });
    await box.fill('Where does Ana live?');
    await box.press('Enter');
    const reply = page.getByTestId('message-assistant').filter({ hasText: 'Ana lives in Lisbon.' });
    await reply.waitFor();
    await page.getByTestId('used-memory').filter({ hasText: 'Lisbon' }).first().waitFor();
    const sent = fake.requests.filter((r) => r.path === '/v1/chat/completions').pop()!.body as { messages: { content: string }[] };
    expect(sent.messages[0]!.content).toMatch(/Ana lives in Lisbon|sister Ana/);
    await e2e.screenshot(page, 'chat-streamed-reply');
    await page.close();
  });

  it('finds a memory, edits it and deletes it', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Memories', exact: true }).click();
    await page.getByLabel('Search memories').fill('Lisbon');
    const option = page.getByRole('listbox', { name: 'Memories' }).getByText(/Lisbon/).first();
    await option.click();
    await page.getByTestId('memory-text').waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Memory text').fill('My sister Ana lives in Porto now.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('memory-text').filter({ hasText: 'Porto now' }).waitFor();
    const edited = await e2e.t.emily.withUser(userId, async (c) => (await c.query("SELECT id FROM memories WHERE content = 'My sister Ana lives in Porto now.' AND NOT archived")).rows);
    expect(edited.length).toBe(1);
    // The search still says "Lisbon": nothing matches now, and no empty list frame is drawn under that.
    await page.getByText('Nothing matches').waitFor();
    expect(await page.getByRole('listbox', { name: 'Memories' }).isHidden()).toBe(true);
    await e2e.screenshot(page, 'memory-edited');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Really delete' }).click();
    await expect
      .poll(async () => (await e2e.t.emily.withUser(userId, (c) => c.query('SELECT 1 FROM memories WHERE id = $1', [edited[0].id]))).rowCount)
      .toBe(0);
    await page.close();
  });

  it('the memory list works from the keyboard alone, and a filter that matches nothing says so', async () => {
    await e2e.t.emily.withUser(userId, (c) =>
      c.query("INSERT INTO memories (content, kind, source) SELECT 'keyboard memory ' || g, 'fact', 'user-stated' FROM generate_series(1, 29) g UNION ALL SELECT 'أختي آنا تعيش في لشبونة (keyboard).', 'fact', 'user-stated' UNION ALL SELECT 'an unrelated note', 'fact', 'user-stated'"),
    );
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Memories', exact: true }).click();
    await page.getByLabel('Search memories').fill('keyboard');
    const list = page.getByRole('listbox', { name: 'Memories' });
    // The search's own list (30 entries; the unfiltered one has more), not the one it replaces.
    await page.getByTestId('memory-count').filter({ hasText: /^30 entries$/ }).waitFor();
    await list.getByText(/keyboard memory/).first().waitFor();
    await list.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.getByTestId('memory-text').waitFor();
    const activeId = await list.getAttribute('aria-activedescendant');
    expect(activeId).toBe('memory-option-29');
    expect(await page.locator(`#${activeId}`).getAttribute('aria-selected')).toBe('true');
    // Right-to-left text is laid out by its own direction, left-to-right text by its own.
    await page.keyboard.press('Home');
    expect(await list.getByText(/^keyboard memory/).first().evaluate((el) => getComputedStyle(el).direction)).toBe('ltr');
    await page.getByLabel('Search memories').fill('أختي');
    expect(await list.getByText(/أختي آنا/).evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    // A kind filter with no match is "Nothing matches", not "No memories yet".
    await page.getByRole('checkbox', { name: 'goal' }).check();
    await page.getByText('Nothing matches').waitFor();
    await page.close();
  });

  it('an unsaved edit waits while another memory is open, and a text over the limit is refused whole, not cut', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Memories', exact: true }).click();
    await page.getByLabel('Search memories').fill('keyboard memory');
    const options = page.getByRole('listbox', { name: 'Memories' }).getByRole('option');
    // The search's own list (the unfiltered one, shown until the search lands, starts with another memory).
    await options.nth(0).filter({ hasText: /keyboard memory/ }).waitFor();
    const [first, second] = [options.nth(0), options.nth(1)];
    const firstText = (await first.locator('.text').textContent())!.trim();
    await first.click();
    await page.getByTestId('memory-text').filter({ hasText: firstText }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Memory text').fill(`${firstText}, rewritten but not saved`);
    await second.click();
    await page.getByTestId('memory-text').filter({ hasNotText: firstText }).waitFor();
    // Meanwhile the memory changes elsewhere (another window): the edit says so before it saves over it.
    const firstId = (await e2e.t.emily.withUser(userId, (c) => c.query('SELECT id FROM memories WHERE content = $1 AND NOT archived', [firstText]))).rows[0].id;
    await editMemory(e2e.t.emily, userId, firstId, `${firstText}, as another window wrote it`);
    await first.click();
    expect(await page.getByLabel('Memory text').inputValue()).toBe(`${firstText}, rewritten but not saved`);
    await page.getByRole('alert').filter({ hasText: 'as another window wrote it' }).waitFor();
    await page.getByRole('button', { name: 'Save over the newer text' }).waitFor();
    const long = 'x'.repeat(4100);
    await page.getByLabel('Memory text').fill(long);
    expect(await page.getByLabel('Memory text').inputValue()).toBe(long);
    await page.getByRole('alert').filter({ hasText: '100 characters too long' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('memory-text').filter({ hasText: `${firstText}, as another window wrote it` }).waitFor();
    await page.close();
  });

  it('exports the profile and imports the file back as a new profile', { timeout: 120_000 }, async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Your data', exact: true }).click();
    // A confirmation that took the place of its button gives the focus to the button again.
    await page.getByRole('button', { name: /^Replace .*…$/ }).click();
    await page.getByLabel('Type the profile name to confirm').press('Escape');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? '')).toMatch(/^Replace .*…$/);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /^Export / }).click();
    const file = await (await download).path();
    await page.getByRole('status').filter({ hasText: /Exported/ }).waitFor();
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');

    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import an Emily…' }).click();
    await (await chooser).setFiles({ name: `emily-Chat ${tag}.dump`, mimeType: 'application/octet-stream', buffer: fs.readFileSync(file) });
    const status = page.getByRole('status').filter({ hasText: /Imported ".*" as a new profile/ });
    await status.waitFor({ timeout: 60_000 });
    const name = /Imported "(.*)" as a new profile/.exec(await status.innerText())![1]!;
    // Named after the file the user chose, not the upload's scratch copy.
    expect(name).toBe(`emily-Chat_${tag}`);
    // In the app's words, not table names.
    expect(await status.innerText()).toMatch(/\(\d+ conversations?, 4 messages, \d+ memories/);
    expect(await status.innerText()).not.toMatch(/turns|memory_|embeddings|frameworks/);
    const mine = (await e2e.t.emily.catalog.list()).filter((u) => u.displayName === name);
    expect(mine.length).toBe(1);
    imported.push(mine[0]!.id);
    const turns = await e2e.t.emily.withUser(mine[0]!.id, async (c) => (await c.query('SELECT count(*)::int AS n FROM turns')).rows[0].n);
    expect(turns).toBe(4); // both exchanges of the first scenario came along
    await e2e.screenshot(page, 'export-import');
    await page.close();
  });

  it('backs up, restores the backup as a new profile, and puts the profile back in place from it', { timeout: 120_000 }, async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Your data', exact: true }).click();
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByRole('status').filter({ hasText: 'Backup written.' }).waitFor();
    const memories = () => e2e.t.emily.withUser(userId, async (c) => (await c.query<{ content: string }>('SELECT content FROM memories WHERE NOT archived ORDER BY id')).rows.map((r) => r.content));
    const atBackup = await memories();

    await page.getByRole('button', { name: 'Restore as new profile' }).click();
    const status = page.getByRole('status').filter({ hasText: /Restored as ".*"/ });
    await status.waitFor({ timeout: 60_000 });
    const name = /Restored as "(.*)"/.exec(await status.innerText())![1]!;
    const copy = (await e2e.t.emily.catalog.list()).filter((u) => u.displayName === name);
    expect(copy.length).toBe(1);
    imported.push(copy[0]!.id);

    // Written after the backup: putting the profile back in place drops it (and keeps it in a new backup).
    await e2e.t.emily.withUser(userId, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('written after the backup', 'fact', 'user-stated')"));
    await page.getByRole('button', { name: 'Restore in place…' }).first().click();
    await page.getByLabel('Type the profile name to confirm').fill(`Chat ${tag}`);
    await page.getByRole('button', { name: /^Put Chat .* back as of / }).click();
    await page.getByRole('status').filter({ hasText: /is back as of/ }).waitFor({ timeout: 60_000 });
    expect(await memories()).toEqual(atBackup);
    expect((await e2e.api.deps.emily.catalog.get(userId)).status).toBe('ready');
    await e2e.screenshot(page, 'restored-in-place');
    await page.close();
  });

  it('leaving the chat and coming back keeps the conversation, a reply still streaming and a half-typed message', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    const box = page.getByLabel('Message');
    fake.script({ kind: 'endless', piece: 'la ', everyMs: 40 });
    await box.fill('Sing me something long about Lisbon.');
    await box.press('Enter');
    const streaming = page.getByTestId('message-streaming');
    await streaming.filter({ hasText: 'la la' }).waitFor();
    await box.fill('A thought I have not sent yet');
    await page.getByRole('button', { name: 'Memories', exact: true }).click();
    await page.getByLabel('Search memories').waitFor();
    expect(await box.isVisible()).toBe(false);
    // Escape on another screen belongs to that screen: the reply goes on.
    await page.getByLabel('Search memories').press('Escape');
    const before = (await streaming.textContent())!.length;
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await expect.poll(async () => (await streaming.textContent())?.length ?? 0).toBeGreaterThan(before);
    expect(await streaming.textContent()).not.toMatch(/Stopping/);
    expect(await box.inputValue()).toBe('A thought I have not sent yet');
    await page.locator('.message.user').filter({ hasText: 'Sing me something long about Lisbon.' }).waitFor();
    // Stopped from the chat, the reply is announced; the announcement lives outside the screens,
    // so one that ends while another screen is shown is heard as well.
    await page.getByRole('button', { name: 'Stop' }).click();
    await streaming.waitFor({ state: 'detached' });
    await page.getByTestId('message-assistant').filter({ hasText: 'la la' }).waitFor();
    await expect.poll(() => page.getByTestId('chat-announcement').textContent()).toMatch(/^Emily \(stopped\): la la/);
    expect(await page.getByTestId('chat-announcement').evaluate((el) => el.closest('[hidden]') === null && el.closest('[data-screen]') === null)).toBe(true);
    await page.close();
  });
});
