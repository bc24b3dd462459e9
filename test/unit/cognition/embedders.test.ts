import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgufEmbedder, HashEmbedder, OpenAIEmbedder } from '../../../electron/cognition/index.js';
import { cosine } from '../../../electron/embeddings/types.js';

/** A fake OpenAI-compatible embeddings server speaking the real wire format. */
let server: http.Server;
let base = '';
const seen: { auth?: string; body: { model: string; input: string[] } }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      seen.push({ auth: req.headers.authorization, body });
      const send = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') return send(404, { error: { message: 'not found', type: 'invalid_request_error' } });
      if (body.model === 'missing') return send(404, { error: { message: `model "missing" not found, try pulling it first`, type: 'invalid_request_error' } });
      if (body.model === 'locked' && req.headers.authorization !== 'Bearer sk-good') return send(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
      if (body.model === 'short') return send(200, { object: 'list', data: [], model: body.model });
      if (body.model === 'echo') return send(400, { error: { message: `bad request, header was ${req.headers.authorization}` } });
      if (body.model === 'dup-index') return send(200, { object: 'list', data: body.input.map((t) => ({ object: 'embedding', index: 0, embedding: [t.length, 1, 1] })), model: body.model });
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: [text.length, 1, index + 1] }));
      // Servers may return items out of order; the index field says which is which.
      send(200, { object: 'list', data: data.reverse(), model: body.model, usage: { prompt_tokens: 3, total_tokens: 3 } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('OpenAI-compatible embedder', () => {
  it('batches, keeps order by index, learns the dimensions and normalises', async () => {
    const e = new OpenAIEmbedder({ baseUrl: base, model: 'nomic-embed-text', maxBatch: 2 });
    expect(e.dimensions).toBe(0);
    const v = await e.embed(['a', 'bbb', 'cc']);
    expect(e.dimensions).toBe(3);
    expect(seen.slice(-2).map((s) => s.body.input)).toEqual([['a', 'bbb'], ['cc']]);
    const norm = Math.hypot(...v[1]!);
    expect(norm).toBeCloseTo(1, 5);
    expect(v[1]![0]! / v[1]![1]!).toBeCloseTo(3, 5);
    expect(v[0]![2]! / v[0]![1]!).toBeCloseTo(1, 5);
  });

  it('sends the API key and explains server errors', async () => {
    await expect(new OpenAIEmbedder({ baseUrl: base, model: 'locked', apiKey: 'sk-bad' }).embed(['x'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/401.*Incorrect API key.*check the API key/) });
    const ok = await new OpenAIEmbedder({ baseUrl: base, model: 'locked', apiKey: 'sk-good' }).embed(['x']);
    expect(ok).toHaveLength(1);
    expect(seen.at(-1)!.auth).toBe('Bearer sk-good');
    await expect(new OpenAIEmbedder({ baseUrl: base, model: 'missing' }).embed(['x'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/404.*not found/) });
    await expect(new OpenAIEmbedder({ baseUrl: base, model: 'short' }).embed(['x'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/0 vectors for 1/) });
    await expect(new OpenAIEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 2000 }).embed(['x'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/cannot reach/) });
    expect(() => new OpenAIEmbedder({ baseUrl: 'file:///etc/passwd', model: 'm' })).toThrow(/http/);
  });

  it('refuses vectors numbered twice (they would land on the wrong rows), and never repeats an echoed API key', async () => {
    await expect(new OpenAIEmbedder({ baseUrl: base, model: 'dup-index' }).embed(['a', 'bb'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/numbered its vectors wrongly/) });
    const err = await new OpenAIEmbedder({ baseUrl: base, model: 'echo', apiKey: 'sk-SECRET-canary' }).embed(['x']).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/400.*\[your API key\]/);
    expect((err as Error).message).not.toContain('SECRET');
  });

  it('refuses vectors whose size changes', async () => {
    const e = new OpenAIEmbedder({ baseUrl: base, model: 'm', dimensions: 5 });
    await expect(e.embed(['x'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/3-dimensional.*expected 5/) });
  });
});

describe('GGUF embedder (optional node-llama-cpp)', () => {
  it('says clearly what to install when node-llama-cpp is missing', async () => {
    const file = new URL('../../fixtures/tiny.gguf', import.meta.url).pathname;
    const e = new GgufEmbedder(file);
    await expect(e.embed(['hello'])).rejects.toMatchObject({ code: 'TOOL_MISSING', message: expect.stringMatching(/npm install node-llama-cpp/) });
    await expect(new GgufEmbedder('/nowhere/model.gguf').embed(['x'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => new GgufEmbedder('/tmp/model.bin')).toThrow(/gguf/);
  });
});

describe('built-in hashed embedder', () => {
  const e = new HashEmbedder();
  it('is deterministic, normalised and relates word forms and concepts', async () => {
    const [a, b, c, d] = await e.embed(['I love cooking Thai curries', 'What do I like to cook?', 'My car is a blue Volvo', 'I love cooking Thai curries']);
    expect(a).toEqual(d);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!) + 0.2);
  });
  it('handles any script and empty text', async () => {
    const [jp, jp2, empty] = await e.embed(['私の猫はタマです', '猫の名前はタマ', '']);
    expect(cosine(jp!, jp2!)).toBeGreaterThan(0.2);
    expect([...empty!].every((x) => x === 0)).toBe(true);
  });
});
