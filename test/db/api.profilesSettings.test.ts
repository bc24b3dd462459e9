import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProfilesView, ProfileView, UserSettings } from '../../electron/api/contract/index.js';
import { useBrowserMode } from '../support/browserMode.js';
import { raw } from '../support/http.js';

const b = useBrowserMode({ rendererDir: '/nonexistent' });

async function call<T>(method: string, input: unknown): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }> {
  const r = await raw(b.server.port, { method: 'POST', path: `/api/${method}`, headers: { 'content-type': 'application/json', 'x-emily-token': b.server.token }, body: JSON.stringify(input) });
  return r.json();
}
async function value<T>(method: string, input: unknown): Promise<T> {
  const r = await call<T>(method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

describe('API: profiles', () => {
  const created: string[] = [];

  it('creates a profile (its own database) and makes it current', async () => {
    const p = await value<ProfileView>('profiles.create', { name: '  Ana  ' });
    created.push(p.id);
    expect(p.name).toBe('Ana');
    const list = await value<ProfilesView>('profiles.list', {});
    expect(list.currentId).toBe(p.id);
    expect(list.profiles.map((x) => x.id)).toContain(p.id);
    const footprint = await b.t.emily.withUser(p.id, async (c) => (await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db);
    expect(footprint).toBe(`emily_u_${p.id}`);
  });

  it('switches profiles and remembers the choice across launches (state file)', async () => {
    const q = await value<ProfileView>('profiles.create', { name: 'Bruno' });
    created.push(q.id);
    await value('profiles.switch', { id: created[0] });
    expect((await value<ProfilesView>('profiles.list', {})).currentId).toBe(created[0]);
    const state = JSON.parse(fs.readFileSync(path.join(b.dir, 'state.json'), 'utf8')) as { currentProfileId: string };
    expect(state.currentProfileId).toBe(created[0]);
  });

  it('deletes only with the exact name typed, and drops the database', async () => {
    const id = created[1]!;
    const wrong = await call('profiles.delete', { id, confirmName: 'bruno' });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error.message).toMatch(/type its name "Bruno"/);
    expect((await value<ProfilesView>('profiles.list', {})).profiles.map((x) => x.id)).toContain(id);
    await value('profiles.delete', { id, confirmName: 'Bruno' });
    expect((await value<ProfilesView>('profiles.list', {})).profiles.map((x) => x.id)).not.toContain(id);
    await expect(b.t.emily.catalog.get(id)).rejects.toThrow(/no user/);
  });

  it('settings live in the profile database; API keys go to the key store, never the database', async () => {
    await value('profiles.switch', { id: created[0] });
    const secret = 'sk-test-' + 'x'.repeat(24);
    const s = await value<UserSettings>('settings.update', { languageModel: { provider: 'openai-compatible', model: 'llama3', baseUrl: 'http://127.0.0.1:11434', apiKey: secret } });
    expect(s.languageModel).toEqual({ provider: 'openai-compatible', model: 'llama3', baseUrl: 'http://127.0.0.1:11434', temperature: 0.7, apiKeySet: true });
    expect(JSON.stringify(s)).not.toContain(secret);
    const rows = await b.t.emily.withUser(created[0]!, async (c) => (await c.query<{ key: string; value: unknown }>('SELECT key, value FROM settings ORDER BY key')).rows);
    expect(rows.find((r) => r.key === 'model.name')?.value).toBe('llama3');
    expect(JSON.stringify(rows)).not.toContain(secret);
    const file = path.join(b.dir, 'secrets.json');
    expect(fs.readFileSync(file, 'utf8')).toContain(secret);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const cleared = await value<UserSettings>('settings.update', { languageModel: { apiKey: null } });
    expect(cleared.languageModel.apiKeySet).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(secret);
  });

  it('refuses bad settings with a message naming the field', async () => {
    const r = await call('settings.update', { languageModel: { baseUrl: 'file:///etc/passwd' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/baseUrl/);
    const t = await call('settings.update', { languageModel: { temperature: 9 } });
    expect(t.ok).toBe(false);
  });

  it('says clearly when no profile is selected', async () => {
    const id = created[0]!;
    const p = (await value<ProfilesView>('profiles.list', {})).profiles.find((x) => x.id === id)!;
    await value('profiles.delete', { id, confirmName: p.name });
    const r = await call('settings.get', {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/no profile is selected/);
  });
});

describe('API: health and system', () => {
  it('reports the doctor run and where the data lives', async () => {
    const report = await value<{ cluster: { version: string; vectorAvailable: string | null } }>('health.report', {});
    expect(report.cluster.version).toMatch(/^15\./);
    expect(report.cluster.vectorAvailable).toMatch(/^0\.8/);
    const info = await value<{ dataHome: string; pgdata: string }>('system.info', {});
    expect(info.dataHome).toBe(b.t.emily.home);
    expect(info.pgdata).toBe(path.join(b.t.emily.home, 'pgdata'));
  });
});
