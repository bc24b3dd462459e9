import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSecretStore, forgetProfileSecrets, type SecretCodec } from '../../electron/secrets/secretStore.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// Stands in for Electron's safeStorage: values this process could not unseal.
const sealed: SecretCodec = { kind: 'electron-safeStorage', seal: (s) => Buffer.from(s).reverse().toString('base64'), open: (s) => Buffer.from(s, 'base64').reverse().toString() };

describe("a deleted profile's API keys", () => {
  it('are removed from every key store of the home, sealed or not, and nothing else is', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-keys-'));
    dirs.push(home);
    const desktop = new FileSecretStore(path.join(home, 'desktop-secrets.enc.json'), sealed);
    const plain = new FileSecretStore(path.join(home, 'desktop-secrets.json'));
    const server = new FileSecretStore(path.join(home, 'server-secrets.json'));
    await desktop.set('aaaaaaaaaaaa/llm.apikey', 'sk-gone-1');
    await desktop.set('bbbbbbbbbbbb/llm.apikey', 'sk-kept-1');
    await plain.set('aaaaaaaaaaaa/embedding.apikey', 'sk-gone-2');
    await server.set('aaaaaaaaaaaa/llm.apikey', 'sk-gone-3');
    expect(forgetProfileSecrets(home, 'aaaaaaaaaaaa')).toBe(3);
    expect(await desktop.get('aaaaaaaaaaaa/llm.apikey')).toBeNull();
    expect(await desktop.get('bbbbbbbbbbbb/llm.apikey')).toBe('sk-kept-1'); // still opens: codec and other values intact
    expect(await plain.get('aaaaaaaaaaaa/embedding.apikey')).toBeNull();
    expect(await server.get('aaaaaaaaaaaa/llm.apikey')).toBeNull();
    for (const f of fs.readdirSync(home)) {
      expect(fs.readFileSync(path.join(home, f), 'utf8')).not.toMatch(/sk-gone/);
      expect(fs.statSync(path.join(home, f)).mode & 0o777).toBe(0o600);
    }
    expect(forgetProfileSecrets(home, 'aaaaaaaaaaaa')).toBe(0);
  });
});
