import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../electron/api/adapters/chatService.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { portabilityService } from '../../electron/api/adapters/portabilityService.js';
import { rolePassword } from '../../electron/cluster/secrets.js';
import { useServerMode, type ServerClient } from '../support/serverMode.js';

/**
 * Issue 7, requirement 1: with account A's session, no API call reaches account B's data.
 * B's texts carry a marker; every answer A gets is searched for it, and B's rows are
 * compared before and after A's attempts. The role part: A's role cannot even connect to
 * B's database (see also test/db/provisioning.test.ts).
 */
const s = useServerMode({ services: (emily) => ({ memory: memoryService(emily), chat: chatService(emily), portability: portabilityService(emily) }) });
const MARK = 'zebrafinch';
let a: ServerClient;
let b: ServerClient;
const bIds = { conversation: '', userMessage: '', reply: '', memory: '', backup: '', exportRef: '' };

async function bState() {
  return s.t.emily.withUser(b.profileId, async (c) => ({
    conversations: (await c.query('SELECT id, title FROM conversations ORDER BY id')).rows,
    turns: (await c.query('SELECT id, content, meta FROM turns ORDER BY id')).rows,
    memories: (await c.query('SELECT id, content, pinned, archived FROM memories ORDER BY id')).rows,
  }));
}

beforeAll(async () => {
  a = await s.signup('iso-anna');
  b = await s.signup('iso-bruno');
  const sent = await b.call<{ conversation: { id: string }; user: { id: string }; reply: { id: string } }>('chat.send', { operationId: 'b-op-00001', conversationId: null, text: `My favourite bird is the ${MARK}, I watch them every Sunday.` });
  expect(sent.ok).toBe(true);
  bIds.conversation = sent.value!.conversation.id;
  bIds.userMessage = sent.value!.user.id;
  bIds.reply = sent.value!.reply.id;
  const mem = await s.t.emily.withUserTransaction(b.profileId, async (c) => {
    const r = await c.query("INSERT INTO memories (content, kind, source) VALUES ($1, 'fact', 'user-stated') RETURNING id", [`Bruno keeps a ${MARK} diary`]);
    return String(r.rows[0].id);
  });
  bIds.memory = mem;
  const backup = await b.call<{ id: string }>('portability.backupNow', { operationId: 'b-backup-0001' });
  expect(backup.ok).toBe(true);
  bIds.backup = backup.value!.id;
  const target = await b.call<{ file: string }>('files.exportTarget', { suggestedName: 'bruno.dump' });
  bIds.exportRef = target.value!.file;
  expect((await b.call('portability.export', { operationId: 'b-export-0001', file: bIds.exportRef })).ok).toBe(true);
});

describe("server mode: account A cannot reach account B's data", () => {
  it("every read with B's ids answers A's own (empty) data or an error, never B's", async () => {
    const before = await bState();
    expect(JSON.stringify(before)).toContain(MARK);
    const calls: [string, unknown][] = [
      ['chat.conversations', {}],
      ['chat.open', { conversationId: bIds.conversation }],
      ['memory.get', { id: bIds.memory }],
      ['memory.list', { query: MARK, tier: 'all' }],
      ['memory.list', {}],
      ['memory.recall', { query: `favourite bird ${MARK}` }],
      ['memory.balance', {}],
      ['memory.jobs', { activeOnly: false }],
      ['portability.backups', {}],
      ['profiles.list', {}],
      ['files.describe', { file: bIds.exportRef }],
      ['settings.get', {}],
    ];
    for (const [method, input] of calls) {
      const r = await a.post(method, JSON.stringify(input));
      expect(r.text, method).not.toContain(MARK);
      expect(r.text, method).not.toContain(b.profileId);
      expect(r.text, method).not.toContain('iso-bruno');
    }
    expect((await a.call('chat.open', { conversationId: bIds.conversation })).error?.code).toBe('NOT_FOUND');
    expect((await a.call('memory.get', { id: bIds.memory })).error?.code).toBe('NOT_FOUND');
    expect((await a.call('files.describe', { file: bIds.exportRef })).error?.code).toBe('NOT_FOUND');
    expect((await a.call<unknown[]>('chat.conversations')).value).toEqual([]);
    expect((await a.call<unknown[]>('portability.backups')).value).toEqual([]);
    const dl = await a.request({ path: `/files/${bIds.exportRef}` });
    expect(dl.status).toBe(404);
    expect((await b.request({ path: `/files/${bIds.exportRef}` })).status).toBe(200);
  });

  it("every write with B's ids changes nothing of B's", async () => {
    const before = await bState();
    const writes: [string, unknown][] = [
      ['chat.rename', { conversationId: bIds.conversation, title: 'renamed by anna' }],
      ['chat.delete', { conversationId: bIds.conversation, forgetMemories: true }],
      ['chat.feedback', { messageId: bIds.reply, verdict: 'wrong', correction: 'anna was here' }],
      ['memory.edit', { id: bIds.memory, text: 'edited by anna' }],
      ['memory.pin', { id: bIds.memory, pinned: true }],
      ['memory.archive', { id: bIds.memory, archived: true }],
      ['memory.delete', { id: bIds.memory }],
      ['chat.send', { operationId: 'a-op-000001', conversationId: bIds.conversation, text: 'hello from anna' }],
      ['portability.export', { operationId: 'a-export-001', file: bIds.exportRef }],
      ['portability.import', { operationId: 'a-import-001', file: bIds.exportRef, kind: 'chat-history' }],
      ['portability.restore', { operationId: 'a-restore-01', backupId: bIds.backup }],
      ['portability.restore', { operationId: 'a-restore-02', backupId: bIds.backup, inPlace: true, confirmName: 'iso-anna' }],
      ['profiles.switch', { id: b.profileId }],
      ['profiles.delete', { id: b.profileId, confirmName: 'iso-bruno' }],
      ['operations.cancel', { operationId: 'b-op-00001' }],
    ];
    for (const [method, input] of writes) {
      const r = await a.post(method, JSON.stringify(input));
      expect(r.text, method).not.toContain(MARK);
      if (method !== 'operations.cancel') expect(r.json().ok, method).toBe(false);
    }
    expect(await bState()).toEqual(before);
    expect((await s.t.emily.catalog.get(b.profileId)).status).toBe('ready');
    expect((await b.call<unknown[]>('portability.backups')).value).toHaveLength(1);
  });

  it('other profiles are FORBIDDEN whether or not they exist, so ids cannot be probed', async () => {
    const real = await a.call('profiles.switch', { id: b.profileId });
    const made = await a.call('profiles.switch', { id: 'zzzzzzzzzzzz' });
    expect(real.error?.code).toBe('FORBIDDEN');
    expect(made).toEqual(real);
    expect((await a.call('profiles.create', { name: 'second' })).error?.code).toBe('FORBIDDEN');
    expect((await a.call('health.report')).error?.code).toBe('FORBIDDEN');
    expect((await a.call('background.set', { paused: true })).error?.code).toBe('FORBIDDEN');
    expect((await a.call('settings.update', { languageModel: { provider: 'local-gguf', model: '/etc/passwd' } })).error?.code).toBe('FORBIDDEN');
    expect((await a.call('settings.update', { languageModel: { provider: 'openai-compatible', model: 'm', baseUrl: 'http://127.0.0.1:5432/v1' } })).error?.code).toBe('FORBIDDEN');
    expect((await a.call('settings.update', { embedding: { baseUrl: 'http://[::1]:8080/' } })).error?.code).toBe('FORBIDDEN');
  });

  it('a model file named by settings that came in a dump is never opened, nor said to exist', async () => {
    // Replace and restore bring a profile's settings table as it was: settings.update never saw them.
    const set = (key: string, value: string) =>
      s.t.emily.withUser(a.profileId, (c) => c.query('INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [key, JSON.stringify(value)]));
    const answers: string[] = [];
    try {
      for (const file of ['/etc/passwd', '/etc/no-such-file.gguf']) {
        await set('model.provider', 'local-gguf');
        await set('model.name', file);
        await set('embedding.provider', 'local-gguf');
        await set('embedding.name', file);
        for (const target of ['language', 'embedding']) {
          const r = await a.call('settings.testConnection', { target });
          const text = JSON.stringify(r);
          expect(text, `${target} ${file}`).toMatch(/model file on the server/);
          expect(text).not.toMatch(/exist|node-llama-cpp|loaded/i);
          answers.push(text);
        }
      }
      expect(answers[0]).toBe(answers[2]);
      expect(answers[1]).toBe(answers[3]);
    } finally {
      await s.t.emily.withUser(a.profileId, (c) => c.query("DELETE FROM settings WHERE key IN ('model.provider', 'model.name', 'embedding.provider', 'embedding.name')"));
    }
  });

  it("A's event socket never carries B's events; B's does", async () => {
    const sa = await a.socket();
    const sb = await b.socket();
    const r = await b.call('chat.send', { operationId: 'b-op-00002', conversationId: bIds.conversation, text: `Another ${MARK} sighting today` });
    expect(r.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 200));
    expect(sb.events.some((e) => e.name === 'chat.token' || e.name === 'chat.status')).toBe(true);
    expect(sa.events.map((e) => e.name)).toEqual(['hello']);
    expect(JSON.stringify(sa.events)).not.toContain(MARK);
    sa.ws.close();
    sb.ws.close();
  });

  it("A's role cannot connect to B's database", async () => {
    const admin = s.t.emily.cluster.admin();
    const [ua, ub] = [await s.t.emily.catalog.get(a.profileId), await s.t.emily.catalog.get(b.profileId)];
    const connect = (database: string) => {
      const c = new pg.Client({ host: admin.host, port: admin.port, user: ua.roleName, password: rolePassword(s.t.emily.cluster.secrets, ua.roleName), database });
      c.on('error', () => undefined);
      return c;
    };
    const own = connect(ua.dbName);
    await own.connect();
    const who = await own.query('SELECT current_user AS u, current_database() AS d');
    expect(who.rows[0]).toEqual({ u: ua.roleName, d: ua.dbName });
    await own.end();
    await expect(connect(ub.dbName).connect()).rejects.toMatchObject({ code: '42501' });
    await expect(connect('emily_catalog').connect()).rejects.toMatchObject({ code: '42501' });
  });

  it('deleting the own profile deletes the account (with the typed name), its sessions and its database', async () => {
    const c = await s.signup('iso-carla');
    expect((await c.call('profiles.delete', { id: c.profileId, confirmName: 'wrong' })).error?.code).toBe('BAD_INPUT');
    expect((await s.t.emily.catalog.get(c.profileId)).status).toBe('ready');
    const r = await c.call('profiles.delete', { id: c.profileId, confirmName: 'iso-carla' });
    expect(r).toEqual({ ok: true, value: { id: c.profileId } });
    await expect(s.t.emily.catalog.get(c.profileId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await s.server.accounts.get(c.profileId)).toBeNull();
    expect((await c.post('system.info', '{}')).status).toBe(401);
    expect((await b.call('system.info')).ok).toBe(true);
  });
});
