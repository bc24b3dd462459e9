import { describe, expect, it } from 'vitest';
import { useE2E } from '../support/e2e.js';

const e2e = useE2E();

describe('e2e (Chromium, browser mode): themes and a dropped connection', () => {
  it('switches to the dark theme and keeps it after a reload', async () => {
    await e2e.createProfile('Theme tester');
    const page = await e2e.openApp();
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.getByLabel('Theme').selectOption('light');
    const light = await bg();
    await page.getByLabel('Theme').selectOption('dark');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const dark = await bg();
    expect(dark).not.toBe(light);
    const lum = (rgb: string) => rgb.match(/\d+/g)!.slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
    expect(lum(dark)).toBeLessThan(lum(light));
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByTestId('health-summary').waitFor();
    await e2e.screenshot(page, 'dark-theme');
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.close();
  });

  it('when the core goes away, says so and keeps what the user typed', async () => {
    const page = await e2e.openApp();
    await page.getByRole('button', { name: 'Profiles', exact: true }).click();
    await page.getByLabel('New profile name').fill('typed before the drop');
    await e2e.server.close();
    await page.getByRole('alert').filter({ hasText: 'Lost the connection to Emily' }).waitFor();
    await page.getByRole('button', { name: 'Create profile' }).click();
    await page.getByRole('alert').filter({ hasText: 'cannot reach Emily' }).waitFor();
    expect(await page.getByLabel('New profile name').inputValue()).toBe('typed before the drop');
    await e2e.screenshot(page, 'connection-lost');
    await page.close();
  });
});
