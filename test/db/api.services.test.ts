import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyedEmbedderFor } from '../../electron/api/adapters/embedderFor.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { deleteUser } from '../../electron/operations/users.js';
import { useBrowserMode } from '../support/browserMode.js';
import { startFakeEmbeddingServer, type FakeEmbeddingServer } from '../support/fakeEmbeddingServer.js';

/** Settings through the API reach the memory engine (embedding model switch → re-embedding). */
const b = useBrowserMode({ rendererDir: '/nonexistent', services: (emily, secrets) => ({ memory: memoryService(emily, keyedEmbedderFor(emily, secrets)) }) });
let embeddings: FakeEmbeddingServer;
let base = '';
const KEY = 'sk-test-embedding-key-1234';
beforeAll(async () => {
  // Like OpenAI: a key is required, and this server knows one.
  embeddings = await startFakeEmbeddingServer({ dimensions: 8, apiKey: KEY });
  base = embeddings.base;
});
afterAll(() => embeddings.close());

async function call<T>(method: string, input: unknown): Promise<T> {
  const r = await b.api.dispatcher.call(method, input, { signal: new AbortController().signal });
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe('API: choosing an embedding model in Settings', () => {
  it('records it for the memory engine and queues re-embedding of existing memories', async () => {
    const profile = await call<{ id: string }>('profiles.create', { name: 'embedding switch' });
    try {
      await b.t.emily.withUser(profile.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('Ana likes tea', 'preference', 'user-stated')"));
      await call('settings.update', { embedding: { provider: 'openai-compatible', model: 'nomic-embed-text', baseUrl: base, apiKey: KEY } });
      const state = await b.t.emily.withUser(profile.id, async (c) => ({
        config: (await c.query("SELECT value FROM settings WHERE key = 'embedding.model'")).rows[0]?.value,
        models: (await c.query('SELECT id, dimensions FROM embedding_models ORDER BY idx')).rows,
        jobs: (await c.query("SELECT kind, status FROM jobs WHERE kind = 'reembed'")).rows,
      }));
      expect(state.config).toMatchObject({ kind: 'openai', model: 'nomic-embed-text', baseUrl: base });
      expect(state.models).toContainEqual(expect.objectContaining({ dimensions: 8 }));
      expect(state.jobs).toEqual([{ kind: 'reembed', status: 'queued' }]);
      // The memory screen shows it, with its progress, in words.
      const listed = await call<{ kind: string; status: string; progress: number; message: string }[]>('memory.jobs', { activeOnly: true });
      expect(listed).toEqual([expect.objectContaining({ kind: 'reembed', status: 'queued', progress: 0, message: expect.stringMatching(/^Re-embedding memories and turns/) })]);
      expect(JSON.stringify(listed)).not.toContain('payload');
    } finally {
      await deleteUser(b.t.emily, profile.id);
    }
  });

  it('searches memories with the configured server and its API key, which stays out of the database', async () => {
    const profile = await call<{ id: string }>('profiles.create', { name: 'keyed embeddings' });
    try {
      await b.t.emily.withUser(profile.id, (c) => c.query("INSERT INTO memories (content, kind, source) VALUES ('Ana likes green tea', 'preference', 'user-stated')"));
      await call('settings.update', { embedding: { provider: 'openai-compatible', model: 'nomic-embed-text', baseUrl: base, apiKey: KEY } });
      const found = await call<{ text: string }[]>('memory.recall', { query: 'green tea', k: 5 });
      expect(found.map((m) => m.text)).toContain('Ana likes green tea');
      const leaked = await b.t.emily.withUser(profile.id, (c) => c.query("SELECT count(*)::int AS n FROM settings WHERE value::text LIKE '%' || $1 || '%'", [KEY]));
      expect(leaked.rows[0].n).toBe(0);
    } finally {
      await deleteUser(b.t.emily, profile.id);
    }
  });
});
