import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { chatService } from '../../electron/api/adapters/chatService.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { rolePassword } from '../../electron/cluster/secrets.js';
import { useTwoServers } from '../support/secondServer.js';
import { useServerMode, type ServerClient } from '../support/serverMode.js';

/**
 * Issue 7, requirement 1 across servers: server mode over two PostgreSQL servers, account
 * A's database on one and B's on the other. A's session reaches none of B's data through
 * the API, and neither role can log in on the other's server at all.
 */
const servers = useTwoServers('emily-test-iso2-');
const s = useServerMode({ emily: () => servers.emily, services: (emily) => ({ memory: memoryService(emily), chat: chatService(emily) }) });
const MARK = 'kingfisher';
let a: ServerClient;
let b: ServerClient;
let bMemory = '';
let bConversation = '';

beforeAll(async () => {
  // Placement: the first account goes to the primary, the second to the less loaded "two".
  a = await s.signup('far-anna');
  b = await s.signup('far-bruno');
  const sent = await b.call<{ conversation: { id: string } }>('chat.send', { operationId: 'far-op-0001', conversationId: null, text: `I saw a ${MARK} by the river this morning.` });
  expect(sent.ok).toBe(true);
  bConversation = sent.value!.conversation.id;
  bMemory = await servers.emily.withUser(b.profileId, async (c) => String((await c.query("INSERT INTO memories (content, kind, source) VALUES ($1, 'fact', 'user-stated') RETURNING id", [`Bruno's ${MARK} notebook`])).rows[0].id));
});

describe("server mode over two servers: account A cannot reach account B's data on the other server", () => {
  it('puts the two accounts on different servers', async () => {
    const [ua, ub] = await Promise.all([servers.emily.catalog.get(a.profileId), servers.emily.catalog.get(b.profileId)]);
    expect([ua.server, ub.server]).toEqual(['local', 'two']);
  });

  it("answers A's reads with B's ids with A's own data or NOT_FOUND, and changes nothing of B's", async () => {
    const before = await servers.emily.withUser(b.profileId, async (c) => JSON.stringify((await c.query('SELECT id, content, pinned, archived FROM memories ORDER BY id')).rows));
    const reads: [string, unknown][] = [
      ['memory.get', { id: bMemory }],
      ['memory.list', { query: MARK, tier: 'all' }],
      ['memory.recall', { query: MARK }],
      ['chat.open', { conversationId: bConversation }],
      ['chat.conversations', {}],
      ['memory.pin', { id: bMemory, pinned: true }],
      ['memory.delete', { id: bMemory }],
    ];
    for (const [method, input] of reads) {
      const r = await a.post(method, JSON.stringify(input));
      expect(r.text, method).not.toContain(MARK);
    }
    expect((await a.call('memory.get', { id: bMemory })).error?.code).toBe('NOT_FOUND');
    expect((await a.call('chat.open', { conversationId: bConversation })).error?.code).toBe('NOT_FOUND');
    expect(await servers.emily.withUser(b.profileId, async (c) => JSON.stringify((await c.query('SELECT id, content, pinned, archived FROM memories ORDER BY id')).rows))).toBe(before);
    // B still sees their own.
    expect((await b.call<{ memory: { text: string } }>('memory.get', { id: bMemory })).value?.memory.text).toContain(MARK);
  });

  it("neither role logs in on the other's server, nor into the other's database", async () => {
    const emily = servers.emily;
    const [ua, ub] = await Promise.all([emily.catalog.get(a.profileId), emily.catalog.get(b.profileId)]);
    const attempt = async (server: string, role: string, database: string) => {
      const admin = emily.servers.admin(server);
      const c = new pg.Client({ host: admin.host, port: admin.port, user: role, password: rolePassword(emily.cluster.secrets, role), database, connectionTimeoutMillis: 5000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return 'connected';
      } catch (e) {
        return (e as { code?: string }).code ?? String(e);
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    // 28P01: the role does not exist on that server (its password cannot match).
    expect(await attempt('two', ua.roleName, ub.dbName)).toBe('28P01');
    expect(await attempt('local', ub.roleName, ua.dbName)).toBe('28P01');
    // Each role works on its own server, into its own database only.
    expect(await attempt('local', ua.roleName, ua.dbName)).toBe('connected');
    expect(await attempt('two', ub.roleName, ub.dbName)).toBe('connected');
    expect(await attempt('two', ub.roleName, 'postgres')).toBe('42501');
  });
});
