import type pg from 'pg';
import { EmilyError } from '../core/errors.js';
import type { Embedder } from './types.js';

export interface EmbeddingModel {
  idx: number;
  id: string;
  dimensions: number;
}

/**
 * HNSW build parameters, tuned on `emily bench retrieval`'s 16,000 memories at ef_search 200:
 * m 16 with a wider build search (ef_construction 400) visits ~2,300 index pages a query for
 * recall@10 0.97–0.99 across rebuilds, where m 32 / ef_construction 200 visited ~2,900 for
 * 0.92–0.97. The price is a build about twice as long. Indexes made before keep theirs.
 */
export const HNSW = { m: 16, efConstruction: 400 } as const;

/**
 * Vectors are stored at full precision (exports stay bit-identical); the index and the
 * search compare them as halfvec: half the bytes per distance, with pgvector's F16C
 * distance functions, for a faster graph walk at the same recall.
 */
export function searchCast(dimensions: number): string {
  return `halfvec(${dims(dimensions)})`;
}

/** The model's HNSW index name: from its integer idx, never from its free-text id. */
export function hnswIndexName(idx: number): string {
  if (!Number.isSafeInteger(idx) || idx <= 0) throw new EmilyError('INTERNAL', `bad embedding model idx ${idx}`);
  return `memory_embeddings_hnsw_${idx}`;
}

function dims(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 16000) throw new EmilyError('BAD_INPUT', `embedding dimensions must be 1..16000, got ${n}`);
  return n;
}

/** Finds the vectors' dimensions, asking the model once if it does not know them yet. */
export async function embedderDimensions(embedder: Embedder): Promise<number> {
  if (embedder.dimensions > 0) return embedder.dimensions;
  const [v] = await embedder.embed(['dimension probe']);
  return dims(v?.length ?? 0);
}

/**
 * Registers a model in a user's database and creates its cosine HNSW index (partial, on
 * the vectors cast to the model's dimensions). Idempotent and safe under concurrency.
 */
export async function ensureModel(client: pg.ClientBase, id: string, dimensions: number, opts: { index?: boolean } = {}): Promise<EmbeddingModel> {
  dims(dimensions);
  await client.query("SELECT pg_advisory_xact_lock(hashtext('emily.embedding_models'))");
  const found = await client.query<EmbeddingModel>('SELECT idx, id, dimensions FROM embedding_models WHERE id = $1', [id]);
  let model = found.rows[0];
  if (model && model.dimensions !== dimensions) {
    throw new EmilyError('CONFLICT', `the embedding model "${id}" is recorded with ${model.dimensions} dimensions but now gives ${dimensions}; give it another name`);
  }
  if (!model) {
    const ins = await client.query<EmbeddingModel>('INSERT INTO embedding_models (id, dimensions) VALUES ($1, $2) RETURNING idx, id, dimensions', [id, dimensions]);
    model = ins.rows[0]!;
  }
  if (opts.index ?? true) await createModelIndex(client, model);
  return model;
}

export async function createModelIndex(client: pg.ClientBase, model: EmbeddingModel): Promise<void> {
  const d = dims(model.dimensions);
  if (d > 4000) return; // pgvector's HNSW limit for halfvec; exact search serves such models
  const name = hnswIndexName(model.idx);
  await client.query(
    `CREATE INDEX IF NOT EXISTS ${name} ON memory_embeddings USING hnsw ((embedding::${searchCast(d)}) halfvec_cosine_ops) WITH (m = ${HNSW.m}, ef_construction = ${HNSW.efConstruction}) WHERE model_idx = ${model.idx}`,
  );
}

export async function listModels(client: pg.ClientBase): Promise<(EmbeddingModel & { vectors: number })[]> {
  const r = await client.query<EmbeddingModel & { vectors: string }>(
    'SELECT m.idx, m.id, m.dimensions, (SELECT count(*) FROM memory_embeddings e WHERE e.model_idx = m.idx) AS vectors FROM embedding_models m ORDER BY m.idx',
  );
  return r.rows.map((x) => ({ ...x, vectors: Number(x.vectors) }));
}

/** Ensures the model and returns it, for an embedder (dimensions probed if needed). */
export async function ensureEmbedderModel(withTx: <T>(fn: (c: pg.ClientBase) => Promise<T>) => Promise<T>, embedder: Embedder): Promise<EmbeddingModel> {
  const d = await embedderDimensions(embedder);
  return withTx((c) => ensureModel(c, embedder.id, d));
}
