import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { READER_SYSTEM_PROMPT } from '../../electron/cognition/modelReader.js';

/**
 * A fake language-model server speaking the real wire formats of OpenAI's chat
 * completions and Anthropic's Messages API, including streaming (server-sent events).
 * Tests script what the next requests see. Emily's requests to read a turn (the system
 * prompt of ModelTurnReader) have their own queue and log, so a chat test sees only chats;
 * unscripted, a reading gets prose back (and Emily falls back to her rules).
 */
export type Behaviour =
  | { kind: 'reply'; chunks: string[] }
  | { kind: 'status'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'drop-after'; chunks: string[] }
  | { kind: 'malformed' }
  | { kind: 'stall-after'; chunks: string[] }
  /** OpenAI-style SSE events with these raw `data:` payloads, then the end of the body. */
  | { kind: 'events'; data: string[] }
  /** A reply that never ends: this piece every everyMs, until the client goes away. */
  | { kind: 'endless'; piece: string; everyMs: number }
  /** An error status whose body repeats the request's Authorization header. */
  | { kind: 'echo-auth'; status: number }
  /** A 200 that is not a stream: a whole body of this type. */
  | { kind: 'whole'; contentType: string; body: string };

export interface FakeServer {
  url: string;
  requests: { path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[];
  readings: { path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[];
  script(...b: Behaviour[]): void;
  scriptReading(...b: Behaviour[]): void;
  close(): Promise<void>;
}

export async function startFakeModelServer(opts: { models?: string[] } = {}): Promise<FakeServer> {
  const queue: Behaviour[] = [];
  const readingQueue: Behaviour[] = [];
  const requests: FakeServer['requests'] = [];
  const readings: FakeServer['readings'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const path = req.url ?? '';
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const reading = isReading(body);
      (reading ? readings : requests).push({ path, headers: req.headers, body });
      if (req.method === 'GET') return models(path, res, opts.models ?? ['test-model']);
      const anthropic = path.endsWith('/v1/messages');
      const b = (reading ? readingQueue.shift() : queue.shift()) ?? { kind: 'reply', chunks: reading ? ['Sure, here are', ' the memories.'] : ['Hello', ' there', '!'] };
      switch (b.kind) {
        case 'status':
          res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers }).end(JSON.stringify(b.body));
          return;
        case 'hang':
          return; // never answer
        case 'echo-auth':
          res.writeHead(b.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `bad request with header ${req.headers.authorization ?? req.headers['x-api-key']}` } }));
          return;
        case 'whole':
          res.writeHead(200, { 'content-type': b.contentType }).end(b.body);
          return;
        case 'events':
          sse(res);
          for (const d of b.data) res.write(`data: ${d}\n\n`);
          res.end();
          return;
        case 'endless': {
          sse(res);
          const piece = JSON.stringify({ choices: [{ index: 0, delta: { content: b.piece }, finish_reason: null }] });
          const timer = setInterval(() => res.write(`data: ${piece}\n\n`), b.everyMs);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case 'malformed':
          sse(res);
          res.write('data: {"choices": [{"delta": {"content": "ok"\n\n');
          res.end();
          return;
        default: {
          sse(res);
          const chunks = b.chunks;
          if (anthropic) writeAnthropic(res, chunks, b.kind === 'reply');
          else writeOpenAI(res, chunks, b.kind === 'reply');
          // Let the headers and chunks reach the client before the connection dies.
          if (b.kind === 'drop-after') setTimeout(() => res.socket?.destroy(), 50);
          else if (b.kind === 'reply') res.end();
          // stall-after: keep the connection open without sending more
        }
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    readings,
    script: (...b) => queue.push(...b),
    scriptReading: (...b) => readingQueue.push(...b),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function isReading(body: Record<string, unknown>): boolean {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  return body.system === READER_SYSTEM_PROMPT || messages.some((m) => m.role === 'system' && m.content === READER_SYSTEM_PROMPT);
}

function sse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

function writeOpenAI(res: http.ServerResponse, chunks: string[], complete: boolean): void {
  for (const c of chunks) res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: c }, finish_reason: null }] })}\n\n`);
  if (complete) {
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.write('data: [DONE]\n\n');
  }
}

function writeAnthropic(res: http.ServerResponse, chunks: string[], complete: boolean): void {
  const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-test', usage: { input_tokens: 10, output_tokens: 1 } } });
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  ev('ping', {});
  for (const c of chunks) ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: c } });
  if (complete) {
    ev('content_block_stop', { index: 0 });
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: chunks.length } });
    ev('message_stop', {});
  }
}

function models(path: string, res: http.ServerResponse, ids: string[]): void {
  const m = /\/v1\/models\/(.+)$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1]!);
    if (ids.includes(id)) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'model', id }));
    else res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `model: ${id}` } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: ids.map((id) => ({ id, object: 'model' })) }));
}
