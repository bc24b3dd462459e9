import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsStore } from '../../electron/api/settingsStore.js';
import { FileSecretStore } from '../../electron/secrets/secretStore.js';
import { startFakeModelServer, type FakeServer } from '../support/fakeModelServer.js';
import { testHome, useTestEmily } from '../support/testEmily.js';

const t = useTestEmily();
let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeModelServer({ models: ['test-model'] });
});
afterAll(() => fake.close());

function chat(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/emily.mjs', 'chat', ...args], { env: { ...process.env, EMILY_HOME: testHome() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('emily chat (one-shot)', () => {
  it('answers from memory with no model configured and reports the memories used as JSON', async () => {
    const u = await t.user('cli chat');
    const first = await chat(['--user', u.id], 'My brother Tom plays the trumpet.');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/answering from memory/);
    const second = await chat(['--user', u.id, '--json'], 'What does Tom play?');
    expect(second.code).toBe(0);
    const out = JSON.parse(second.stdout);
    expect(out).toMatchObject({ mode: 'memory', model: null, cut: false });
    expect(out.reply).toMatch(/trumpet/);
    expect(out.memories[0]).toMatchObject({ tier: 'L3', content: expect.stringMatching(/trumpet/), components: { similarity: expect.any(Number), text: expect.any(Number) } });
    expect(out.timings.total_ms).toBeGreaterThan(0);
  });

  it('refuses an unknown provider and an empty message clearly', async () => {
    const u = await t.user('cli chat bad');
    const bad = await chat(['--user', u.id, '--provider', 'skynet', '--json'], 'hi');
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/unknown provider "skynet"/);
    const empty = await chat(['--user', u.id], '   ');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/your message is empty/);
  });

  it("uses the profile's saved model settings and key when no provider is given", async () => {
    const u = await t.user('cli chat settings');
    const secrets = new FileSecretStore(path.join(testHome(), 'desktop-secrets.json'));
    await new SettingsStore(t.emily, secrets).update(u.id, { languageModel: { provider: 'openai-compatible', model: 'test-model', baseUrl: `${fake.url}/v1`, apiKey: 'sk-saved' } });
    fake.script({ kind: 'reply', chunks: ['Hello', ' from the model'] });
    const r = await chat(['--user', u.id, '--json'], 'Hi Emily');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'model', model: 'openai-compatible:test-model', reply: 'Hello from the model' });
    expect(fake.requests.filter((x) => x.path === '/v1/chat/completions').pop()!.headers.authorization).toBe('Bearer sk-saved');
  });

  it('says on stderr, and by its exit code, that a reply was cut or the model failed', async () => {
    const u = await t.user('cli chat cut');
    const flags = ['--user', u.id, '--provider', 'openai-compatible', '--model', 'test-model', '--base-url', `${fake.url}/v1`];
    fake.script({ kind: 'drop-after', chunks: ['Half a re', 'ply'] });
    const cut = await chat(flags, 'Tell me a story');
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/Half a reply/);
    expect(cut.stderr).toMatch(/the reply above was cut short: .*dropped the connection/);
    // Three answers: the first try and its two retries.
    const oom = { kind: 'status' as const, status: 500, body: { error: { message: 'out of memory' } } };
    fake.script(oom, oom, oom);
    const failed = await chat([...flags, '--json'], 'Hello?');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ mode: 'memory', error: { code: 'PROVIDER_ERROR', message: expect.stringMatching(/500: out of memory/) } });
  });
});
