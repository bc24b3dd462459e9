import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeEmbeddingServer {
  /** Base URL to give an OpenAI-compatible embedder, ending in /v1. */
  base: string;
  /** The input texts of every request, in order. */
  requests: string[][];
  close(): Promise<void>;
}

/**
 * A fake OpenAI-compatible POST /v1/embeddings server (the real wire format): each text
 * gets a deterministic vector of `dimensions` numbers derived from its characters. With
 * `apiKey`, a request without that bearer key is refused as OpenAI refuses it.
 */
/** maxInputChars: inputs longer than this are refused as OpenAI refuses a text over the model's context. */
export async function startFakeEmbeddingServer(opts: { dimensions?: number; apiKey?: string; maxInputChars?: number } = {}): Promise<FakeEmbeddingServer> {
  const dims = opts.dimensions ?? 8;
  const requests: string[][] = [];
  const server = http.createServer((req, res) => {
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      return;
    }
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      requests.push(body.input);
      const tooLong = opts.maxInputChars === undefined ? undefined : body.input.find((text) => text.length > opts.maxInputChars!);
      if (tooLong !== undefined) {
        const message = `This model's maximum context length is ${opts.maxInputChars} tokens, however you requested ${tooLong.length} tokens. Please reduce your prompt.`;
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from({ length: dims }, (_, j) => ((text.charCodeAt(j % text.length) || 1) % 7) + j) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
