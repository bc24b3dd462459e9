/**
 * One interface for every embedding model: the built-in hashed embedder, any
 * OpenAI-compatible /v1/embeddings server and an in-process GGUF model.
 */
export interface Embedder {
  /** Stable name of the vector space (recorded with every vector). */
  readonly id: string;
  /** Vector length; for remote models it is known after the first call (0 before). */
  readonly dimensions: number;
  /** Largest batch one call to embed() sends at once; callers may pass more. */
  readonly maxBatch: number;
  /** Embeds texts in order; every vector is L2-normalised. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

export type EmbeddingConfig =
  | { kind: 'builtin' }
  | { kind: 'openai'; baseUrl: string; model: string; dimensions?: number }
  | { kind: 'gguf'; modelPath: string };

export function l2normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s === 0) return v;
  const n = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * n;
  return v;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** pgvector's text form; NaN/Infinity are refused by the server, so refuse them here. */
export function toVectorLiteral(v: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new Error('embedding contains a non-finite number');
    out += (i ? ',' : '') + x;
  }
  return `${out}]`;
}

/** Embeds any number of texts in batches of the embedder's size. */
export async function embedAll(embedder: Embedder, texts: string[], onProgress?: (done: number) => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += embedder.maxBatch) {
    out.push(...(await embedder.embed(texts.slice(i, i + embedder.maxBatch))));
    onProgress?.(out.length);
  }
  return out;
}
