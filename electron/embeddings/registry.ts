import type pg from 'pg';
import { EmilyError } from '../core/errors.js';
import { HASH_EMBEDDER_ID } from './hashEmbedder.js';
import type { Embedder } from './types.js';

export interface EmbeddingModel {
  idx: number;
  id: string;
  dimensions: number;
}

/**
 * How a model's HNSW index is built, and how wide retrieval searches it: `searchWidth` scales
 * the framework's efSearch, which is set for the reference build below. Each index keeps the
 * parameters it was built with (an import rebuilds the dump's own), so retrieval narrows the
 * search only for an index whose parameters say it was built this way (see retrievalSql).
 */
export interface HnswBuild {
  m: number;
  efConstruction: number;
  searchWidth: number;
}

/**
 * The reference build, for models we have no measurements of: m 16 with a wide build search
 * (ef_construction 400) visited ~2,300 index pages a query at ef_search 200 for recall@10
 * 0.96–0.99 across rebuilds on `emily bench retrieval`'s 16,000 memories, where m 32 /
 * ef_construction 200 visited ~2,900 for 0.92–0.97.
 */
export const HNSW: HnswBuild = { m: 16, efConstruction: 400, searchWidth: 1 };

/**
 * The built-in embedder's vectors make a better graph with fewer links and a much wider
 * build search: at ef_search 150 recall@10 was 0.996–0.997 over four builds with ~1,450
 * pages a query against the reference's ~2,290 at 200 (p95 ~1,930 against ~3,650), and at
 * 64,000 memories it beat the reference on both (0.90 at ef_search 150 against 0.85 at
 * 200). The price: a build 1.3–1.8 times as long (16,000 memories: 12–16 s against 7–9)
 * and an insert about twice as long (5.2 ms against 2.7 a new memory). Measured on this
 * embedder only, so other models keep the reference build.
 */
export const HNSW_BUILTIN: HnswBuild = { m: 8, efConstruction: 1000, searchWidth: 0.75 };

export function hnswBuildFor(model: Pick<EmbeddingModel, 'id'>): HnswBuild {
  return model.id === HASH_EMBEDDER_ID ? HNSW_BUILTIN : HNSW;
}

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
  const build = hnswBuildFor(model);
  await client.query(
    `CREATE INDEX IF NOT EXISTS ${name} ON memory_embeddings USING hnsw ((embedding::${searchCast(d)}) halfvec_cosine_ops) WITH (m = ${build.m}, ef_construction = ${build.efConstruction}) WHERE model_idx = ${model.idx}`,
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
