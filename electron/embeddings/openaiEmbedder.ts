import { serverUrl } from '../core/serverUrl.js';
import { EmilyError } from '../core/errors.js';
import { withoutSecret } from '../core/redact.js';
import { l2normalise, type Embedder } from './types.js';

export interface OpenAIEmbedderOptions {
  /** e.g. http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:1234/v1 (LM Studio), https://api.openai.com/v1 */
  baseUrl: string;
  model: string;
  /** Never stored in a user database; passed in by whoever holds the secret. */
  apiKey?: string;
  /** Known dimensions (else learnt from the first response). */
  dimensions?: number;
  timeoutMs?: number;
  maxBatch?: number;
  fetch?: typeof fetch;
}

interface EmbeddingsResponse {
  data?: { index?: number; embedding?: unknown }[];
  error?: { message?: string } | string;
}

/** Any server speaking OpenAI's POST /v1/embeddings (Ollama, LM Studio, llama.cpp server, vLLM, OpenAI). */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatch: number;
  private dims: number;
  private readonly url: string;

  constructor(private readonly o: OpenAIEmbedderOptions) {
    const base = serverUrl(o.baseUrl, 'embedding server');
    if (!o.model || o.model.length > 200) throw new EmilyError('BAD_INPUT', 'name the embedding model (1–200 characters), e.g. nomic-embed-text');
    this.url = `${base.href.replace(/\/+$/, '')}/embeddings`;
    this.id = o.model;
    this.dims = o.dimensions ?? 0;
    this.maxBatch = o.maxBatch ?? 64;
  }

  get dimensions(): number {
    return this.dims;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.maxBatch) out.push(...(await this.call(texts.slice(i, i + this.maxBatch))));
    return out;
  }

  private async call(input: string[]): Promise<Float32Array[]> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.o.model, input, encoding_format: 'float' }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new EmilyError('PROVIDER_ERROR', `cannot reach the embedding server at ${this.url} (${(e as Error).message}); check that it is running`, { cause: e });
    }
    const text = await res.text();
    let body: EmbeddingsResponse | undefined;
    try {
      body = JSON.parse(text) as EmbeddingsResponse;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const said = typeof body?.error === 'string' ? body.error : typeof body?.error?.message === 'string' ? body.error.message : text;
      const detail = withoutSecret(said, this.o.apiKey).slice(0, 200);
      const hint = res.status === 401 || res.status === 403 ? ' (check the API key)' : res.status === 404 ? ` (is "${this.o.model}" available on that server?)` : '';
      throw new EmilyError('PROVIDER_ERROR', `the embedding server answered ${res.status}: ${detail}${hint}`);
    }
    const data = body?.data;
    if (!Array.isArray(data) || data.length !== input.length) {
      throw new EmilyError('PROVIDER_ERROR', `the embedding server sent ${Array.isArray(data) ? data.length : 'no'} vectors for ${input.length} texts`);
    }
    const sorted = inInputOrder(data);
    return sorted.map((d) => {
      const e = d.embedding;
      if (!Array.isArray(e) || e.length === 0 || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmilyError('PROVIDER_ERROR', 'the embedding server sent a vector that is not a list of numbers (base64 encoding is not supported)');
      }
      if (this.dims === 0) this.dims = e.length;
      if (e.length !== this.dims) throw new EmilyError('PROVIDER_ERROR', `the embedding server sent ${e.length}-dimensional vectors, expected ${this.dims}`);
      return l2normalise(Float32Array.from(e as number[]));
    });
  }
}

/**
 * The vectors in the order of the texts. With `index` fields they must name each position
 * exactly once: a repeated or missing index would put one text's vector on another's row.
 */
function inInputOrder<T extends { index?: unknown }>(data: T[]): T[] {
  if (data.every((d) => d.index === undefined)) return data;
  const out: (T | undefined)[] = new Array(data.length);
  for (const d of data) {
    const i = d.index;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= data.length || out[i]) {
      throw new EmilyError('PROVIDER_ERROR', `the embedding server numbered its vectors wrongly (index ${JSON.stringify(i)?.slice(0, 20)} for ${data.length} texts)`);
    }
    out[i] = d;
  }
  return out as T[];
}
