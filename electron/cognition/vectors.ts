import type pg from 'pg';
import { EmilyError } from '../core/errors.js';
import { searchCast, type EmbeddingModel } from '../embeddings/registry.js';
import { toVectorLiteral } from '../embeddings/types.js';

/**
 * SQL fragments for one model's vectors; idx and dimensions are integers we checked.
 * cast: what the HNSW index compares (halfvec); full: full precision, for scoring.
 */
export function modelSql(model: EmbeddingModel): { cast: string; full: string; where: string } {
  if (!Number.isSafeInteger(model.idx) || !Number.isSafeInteger(model.dimensions)) throw new EmilyError('INTERNAL', 'bad embedding model');
  return { cast: searchCast(model.dimensions), full: `vector(${model.dimensions})`, where: `model_idx = ${model.idx}` };
}

/** `what` names the vector in the error, so a refused reply is not reported as a bad query. */
export function vectorParam(model: EmbeddingModel, v: ArrayLike<number>, what = 'the query embedding'): string {
  if (v.length !== model.dimensions) {
    throw new EmilyError('BAD_INPUT', `${what} has ${v.length} dimensions but the model "${model.id}" has ${model.dimensions}; embed it with the same model`);
  }
  return toVectorLiteral(v);
}

/**
 * The embedder's own vectors against the size recorded for its model: a server that now
 * serves another model under the same name sends vectors of another size. That is the
 * server's doing (a provider error), not the caller's input.
 */
export function assertEmbedderFits(model: EmbeddingModel, vectors: (ArrayLike<number> | undefined)[]): void {
  const off = vectors.find((v) => v && v.length !== model.dimensions);
  if (off) throw embedderSizeChanged(model, off.length);
}

export function embedderSizeChanged(model: EmbeddingModel, now: number): EmilyError {
  return new EmilyError(
    'PROVIDER_ERROR',
    `the embedding model "${model.id}" now gives ${now}-dimensional vectors, but Emily's memories hold ${model.dimensions}-dimensional ones for that name; if the server's model changed, give it a new name in Settings (her memories are then re-embedded)`,
  );
}

export interface Neighbour {
  id: number;
  sim: number;
  content: string;
}

/** The nearest live memories of one model (HNSW), most similar first. */
export async function nearest(client: pg.ClientBase, model: EmbeddingModel, vector: string, k: number, excludeId?: number): Promise<Neighbour[]> {
  const { cast, full, where } = modelSql(model);
  const r = await client.query<{ id: string; sim: number; content: string }>(
    `SELECT e.memory_id AS id, 1 - (e.embedding::${full} <=> $1::${full}) AS sim, m.content
       FROM memory_embeddings e JOIN memories m ON m.id = e.memory_id
      WHERE e.${where} AND NOT m.archived AND e.memory_id <> $3
      ORDER BY e.embedding::${cast} <=> $1::${cast} LIMIT $2`,
    [vector, k, excludeId ?? 0],
  );
  return r.rows.map((x) => ({ id: Number(x.id), sim: Number(x.sim), content: x.content }));
}

export async function storeEmbedding(client: pg.ClientBase, model: EmbeddingModel, memoryId: number, vector: string): Promise<void> {
  await client.query(
    `INSERT INTO memory_embeddings (memory_id, model_idx, embedding) VALUES ($1, $2, $3::vector(${model.dimensions}))
     ON CONFLICT (memory_id, model_idx) DO UPDATE SET embedding = EXCLUDED.embedding, created_at = now()`,
    [memoryId, model.idx, vector],
  );
}

/** How much of a turn its vector covers. */
export const TURN_EMBED_CHARS = 4000;
