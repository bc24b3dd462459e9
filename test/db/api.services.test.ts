import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyedEmbedderFor } from '../../electron/api/adapters/embedderFor.js';
import { memoryService } from '../../electron/api/adapters/memoryService.js';
import { deleteUser } from '../../electron/operations/users.js';
import { useBrowserMode } from '../support/browserMode.js';

/** Settings through the API reach the memory engine (embedding model switch → re-embedding). */
const b = useBrowserMode({ rendererDir: '/nonexistent', services: (emily, secrets) => ({ memory: memoryService(emily, keyedEmbedderFor(emily, secrets)) }) });
let server: http.Server;
let base = '';
const KEY = 'sk-test-embedding-key-1234';
beforeAll(async () => {
  // A fake OpenAI-compatible /v1/embeddings server (real wire format), 8 dimensions.
  server = http.createServer((req, res) => {
    // Like OpenAI: a key is required, and this server knows one.
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      return;
    }
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from({ length: 8 }, (_, j) => ((text.charCodeAt(j % text.length) || 1) % 7) + j) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

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
