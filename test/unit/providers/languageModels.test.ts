import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnthropicModel, toAnthropicMessages } from '../../../electron/providers/llm/anthropic.js';
import { createLanguageModel } from '../../../electron/providers/llm/factory.js';
import { OpenAICompatibleModel } from '../../../electron/providers/llm/openaiCompatible.js';
import type { LanguageModel } from '../../../electron/providers/llm/types.js';
import { startFakeModelServer, type FakeServer } from '../../support/fakeModelServer.js';

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeModelServer({ models: ['test-model'] });
});
afterAll(() => fake.close());

const fast = { connectMs: 500, idleMs: 300, retries: 1 };
const messages = [
  { role: 'system' as const, content: 'You are Emily.' },
  { role: 'user' as const, content: 'Hi!' },
];

async function collect(model: LanguageModel, signal?: AbortSignal): Promise<string> {
  let out = '';
  for await (const t of model.stream({ messages, signal })) out += t;
  return out;
}

const kinds: [string, () => LanguageModel][] = [
  ['OpenAI-compatible', () => new OpenAICompatibleModel({ baseUrl: `${fake.url}/v1`, model: 'test-model', apiKey: 'sk-test', timeouts: fast })],
  ['Anthropic', () => new AnthropicModel({ baseUrl: fake.url, model: 'test-model', apiKey: 'ant-test', timeouts: fast })],
];

describe.each(kinds)('%s provider', (_name, make) => {
  it('streams a reply piece by piece', async () => {
    fake.script({ kind: 'reply', chunks: ['Hel', 'lo ', 'Ana'] });
    const pieces: string[] = [];
    for await (const t of make().stream({ messages })) pieces.push(t);
    expect(pieces).toEqual(['Hel', 'lo ', 'Ana']);
  });

  it('retries a 503 before streaming, then succeeds', async () => {
    fake.script({ kind: 'status', status: 503, body: { error: { message: 'loading model' } } }, { kind: 'reply', chunks: ['ok'] });
    expect(await collect(make())).toBe('ok');
  });

  it('names a refused key, an unknown model and a too-long context', async () => {
    fake.script({ kind: 'status', status: 401, body: { error: { message: 'invalid x-api-key' } } });
    await expect(collect(make())).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/check the key in Settings/) });
    fake.script({ kind: 'status', status: 404, body: { error: { message: 'model "test-model" not found' } } });
    await expect(collect(make())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fake.script({ kind: 'status', status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens" } } });
    await expect(collect(make())).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/too long/) });
  });

  it('gives up on a server that hangs, with MODEL_UNREACHABLE', async () => {
    // Not retried: a server that sent no headers within the connect timeout would not in a second try.
    fake.script({ kind: 'hang' });
    await expect(collect(make())).rejects.toMatchObject({ code: 'MODEL_UNREACHABLE', message: expect.stringMatching(/did not answer/) });
  });

  it('reports a stream dropped or stalled mid-reply instead of ending quietly', async () => {
    fake.script({ kind: 'drop-after', chunks: ['Half'] });
    await expect(collect(make())).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    fake.script({ kind: 'stall-after', chunks: ['Half'] });
    await expect(collect(make())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/stopped sending/) });
  });

  it('reports malformed JSON in the stream', async () => {
    fake.script({ kind: 'malformed' });
    await expect(collect(make())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/malformed JSON/) });
  });

  it('stops when cancelled', async () => {
    fake.script({ kind: 'stall-after', chunks: ['a'] });
    const ctl = new AbortController();
    const pieces: string[] = [];
    const run = (async () => {
      for await (const t of make().stream({ messages, signal: ctl.signal })) {
        pieces.push(t);
        ctl.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(pieces).toEqual(['a']);
  });

  it('tests the connection and names a model the server does not have', async () => {
    await expect(make().test()).resolves.toMatchObject({ ok: true });
  });
});

describe('OpenAI-compatible: what a broken server sends', () => {
  const make = () => new OpenAICompatibleModel({ baseUrl: `${fake.url}/v1`, model: 'test-model', apiKey: 'sk-test-SECRET-42', timeouts: fast });
  const chunk = (delta: unknown) => JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] });

  it('refuses events that are not completion chunks, and reply text that is not a string', async () => {
    for (const data of ['null', '42', chunk({ content: { text: 'x' } }), chunk({ content: 7 }), chunk({ content: ['a'] })]) {
      fake.script({ kind: 'events', data: [data, '[DONE]'] });
      await expect(collect(make()), data).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/not a chat completion chunk|not a string/) });
    }
  });

  it('takes a whole (not streamed) completion, and says so when the address answers with a web page', async () => {
    fake.script({ kind: 'whole', contentType: 'application/json', body: JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Whole reply.' }, finish_reason: 'stop' }] }) });
    expect(await collect(make())).toBe('Whole reply.');
    fake.script({ kind: 'whole', contentType: 'application/json', body: JSON.stringify({ choices: [{ message: { content: null } }] }) });
    await expect(collect(make())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/holds no reply text/) });
    fake.script({ kind: 'whole', contentType: 'text/html; charset=utf-8', body: '<!doctype html><title>Router login</title>' });
    await expect(collect(make())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/web page.*ends in \/v1/) });
  });

  it('says so when the model answers with a tool call', async () => {
    fake.script({ kind: 'events', data: [chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] }), '[DONE]'] });
    await expect(collect(make())).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/tool call/) });
  });

  it('waits as a short Retry-After asks, gives up at once on a long one (saying how long), and does not retry a server that sent nothing', async () => {
    const asked = () => fake.requests.filter((r) => r.path === '/v1/chat/completions').length;
    let before = asked();
    fake.script({ kind: 'status', status: 429, body: {}, headers: { 'retry-after': '3600' } });
    await expect(collect(make())).rejects.toMatchObject({ code: 'BUSY', message: expect.stringMatching(/asks to wait 3600 s/) });
    expect(asked() - before).toBe(1);
    before = asked();
    fake.script({ kind: 'status', status: 503, body: {}, headers: { 'retry-after': '1' } }, { kind: 'reply', chunks: ['back'] });
    const t0 = Date.now();
    expect(await collect(make())).toBe('back');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(asked() - before).toBe(2);
    before = asked();
    fake.script({ kind: 'hang' });
    await expect(collect(make())).rejects.toMatchObject({ code: 'MODEL_UNREACHABLE', message: expect.stringMatching(/did not answer within/) });
    expect(asked() - before).toBe(1);
  });

  it('never repeats the API key a server echoes back in an error', async () => {
    fake.script({ kind: 'echo-auth', status: 400 });
    const err = await collect(make()).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/\[your API key\]/);
    expect(String((err as Error).message)).not.toContain('SECRET-42');
  });
});

describe('wire details', () => {
  it('sends the OpenAI request with the bearer key and stream: true', async () => {
    fake.script({ kind: 'reply', chunks: ['x'] });
    await collect(kinds[0]![1]());
    const req = fake.requests.filter((r) => r.path === '/v1/chat/completions').pop()!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'test-model', stream: true, messages });
  });

  it('sends Anthropic the system prompt apart, with its version header', async () => {
    fake.script({ kind: 'reply', chunks: ['x'] });
    await collect(kinds[1]![1]());
    const req = fake.requests.filter((r) => r.path === '/v1/messages').pop()!;
    expect(req.headers['x-api-key']).toBe('ant-test');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.body).toMatchObject({ system: 'You are Emily.', messages: [{ role: 'user', content: 'Hi!' }], stream: true });
  });

  it('merges same-role turns and starts with the user for Anthropic', () => {
    expect(toAnthropicMessages([{ role: 'assistant', content: 'a' }, { role: 'user', content: 'b' }, { role: 'user', content: 'c' }]).messages).toEqual([
      { role: 'user', content: '(continuing our conversation)' },
      { role: 'assistant', content: 'a' },
      { role: 'user', content: 'b\n\nc' },
    ]);
  });

  it('names an unknown model at "test connection"', async () => {
    const m = new OpenAICompatibleModel({ baseUrl: `${fake.url}/v1`, model: 'nope', timeouts: fast });
    await expect(m.test()).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/test-model/) });
    const a = new AnthropicModel({ baseUrl: fake.url, model: 'nope', apiKey: 'k', timeouts: fast });
    await expect(a.test()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports an unreachable server clearly', async () => {
    const m = new OpenAICompatibleModel({ baseUrl: 'http://127.0.0.1:9/v1', model: 'x', timeouts: fast });
    await expect(collect(m)).rejects.toMatchObject({ code: 'MODEL_UNREACHABLE', message: expect.stringMatching(/unreachable/) });
  });

  it('validates settings before building a model', () => {
    expect(createLanguageModel({ provider: 'none', model: '' }, undefined)).toBeUndefined();
    expect(() => createLanguageModel({ provider: 'openai-compatible', model: 'm', baseUrl: 'file:///etc/passwd' }, undefined)).toThrow(/http:\/\/ or https:\/\//);
    expect(() => createLanguageModel({ provider: 'openai-compatible', model: 'm' }, undefined)).toThrow(/base URL/);
    expect(() => createLanguageModel({ provider: 'anthropic', model: 'm' }, undefined)).toThrow(/API key/);
  });

  it('explains how to enable local GGUF models when the optional package is missing', async () => {
    const m = createLanguageModel({ provider: 'local-gguf', model: '', modelPath: '/nonexistent/model.gguf' }, undefined)!;
    await expect(m.test()).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/does not exist/) });
    const file = `${process.cwd()}/package.json`; // exists, so the loader gets to the import
    const m2 = createLanguageModel({ provider: 'local-gguf', model: '', modelPath: file }, undefined)!;
    await expect(m2.test()).rejects.toMatchObject({ message: expect.stringMatching(/npm install node-llama-cpp/) });
  });
});
