import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// electron-builder's own reader and schema check (what `npm run dist` runs first); no public export offers them.
const require = createRequire(import.meta.url);
const { findAndReadConfig } = require('app-builder-lib/out/util/config/load.js') as { findAndReadConfig: (o: { packageKey: string; configFilename: string; projectDir: string }) => Promise<{ result: Record<string, unknown> } | null> };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, log: unknown) => Promise<void> };
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema, keeps source maps out and bakes in the fuses that shut out other programs", async () => {
    expect(fs.existsSync('electron-builder.yml')).toBe(true);
    const read = await findAndReadConfig({ packageKey: 'build', configFilename: 'electron-builder', projectDir: process.cwd() });
    const config = read!.result;
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.files).toEqual(expect.arrayContaining(['!dist/**/*.map', '!renderer/dist/**/*.map']));
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true });
  });
});
