import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible chat server (real SSE wire format) that answers every turn with a
 * fixed reply, except the turns it is told to stall on: there it streams the first words
 * and then keeps the stream open, and tells the test, so a kill lands mid-stream.
 */
export interface SlowModelServer {
  /** Base URL including /v1. */
  url: string;
  reply(turn: number): string;
  stallOn(turn: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSlowModelServer(): Promise<SlowModelServer> {
  const stalls = new Map<number, () => void>();
  const sockets = new Set<import('node:net').Socket>();
  const reply = (turn: number) => `Noted, thing ${turn} it is. I will keep that in mind.`;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { messages?: { role: string; content: string }[] };
      const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
      const turn = Number(/number (\d+)/.exec(last)?.[1] ?? 0);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const words = reply(turn).split(/(?<= )/);
      const chunk = (c: string) => res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: c }, finish_reason: null }] })}\n\n`);
      const stalled = stalls.get(turn);
      if (stalled) {
        for (const w of words.slice(0, 3)) chunk(w);
        // Tell the test once the words are on the wire; the stream then stays open.
        res.socket?.write('', () => stalled());
        return;
      }
      for (const w of words) chunk(w);
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    reply,
    stallOn: (turn) => new Promise<void>((resolve) => stalls.set(turn, resolve)),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
