import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSecretStore, type SecretCodec } from '../../electron/secrets/secretStore.js';
import { testTempDir } from '../support/tempDir.js';

const tmp = () => path.join(testTempDir('emily-secrets-'), 'keys.json');
const reversing: SecretCodec = { kind: 'test-reverse', seal: (s) => [...s].reverse().join(''), open: (s) => [...s].reverse().join('') };

describe('key store', () => {
  it('keeps keys in a 0600 file, sealed by its codec, and removes a profile’s keys together', async () => {
    const file = tmp();
    const store = new FileSecretStore(file, reversing);
    await store.set('abcdefghijkl/model.api_key', 'sk-123');
    await store.set('abcdefghijkl/embedding.api_key', 'emb-456');
    await store.set('zyxwvutsrqpo/model.api_key', 'other');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('sk-123');
    expect(await store.get('abcdefghijkl/model.api_key')).toBe('sk-123');
    await store.deletePrefix('abcdefghijkl/');
    expect(await store.get('abcdefghijkl/model.api_key')).toBeNull();
    expect(await store.get('abcdefghijkl/embedding.api_key')).toBeNull();
    expect(await store.get('zyxwvutsrqpo/model.api_key')).toBe('other');
  });

  it('refuses names that are not "<profile id>/<setting>"', async () => {
    const store = new FileSecretStore(tmp());
    await expect(store.set('../../etc/passwd', 'x')).rejects.toThrow(/not a secret name/);
    await expect(store.get('ABC/model')).rejects.toThrow(/not a secret name/);
  });

  it('says what to do when the file was sealed another way or is corrupt', async () => {
    const file = tmp();
    await new FileSecretStore(file, reversing).set('abcdefghijkl/model.api_key', 'k');
    await expect(new FileSecretStore(file).get('abcdefghijkl/model.api_key')).rejects.toThrow(/enter your API keys again/);
    fs.writeFileSync(file, '{not json');
    await expect(new FileSecretStore(file).get('abcdefghijkl/model.api_key')).rejects.toThrow(/move it aside/);
  });
});
