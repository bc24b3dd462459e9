import { EmilyError } from '../core/errors.js';
import { writeEmbeddingConfig } from '../embeddings/config.js';
import { embedderDimensions, ensureModel, listModels, type EmbeddingModel } from '../embeddings/registry.js';
import { toVectorLiteral, type Embedder, type EmbeddingConfig } from '../embeddings/types.js';
import { enqueueJob, type Job } from '../jobs/queue.js';
import { modelFor, type UserDoor } from './context.js';

export interface EmbeddingStatus {
  model: EmbeddingModel;
  /** Live memories without a vector of the current model. */
  missing: number;
  models: (EmbeddingModel & { vectors: number })[];
  job: Job | null;
}

/**
 * Switching model: records the choice, registers the model (and its HNSW index) and
 * queues the re-embedding of every memory in the background. Retrieval meanwhile uses the
 * vectors there are plus full-text search.
 */
export async function setEmbeddingModel(door: UserDoor, userId: string, config: EmbeddingConfig, embedder: Embedder): Promise<EmbeddingStatus> {
  const dims = await embedderDimensions(embedder);
  await door.withUserTransaction(userId, async (c) => {
    await writeEmbeddingConfig(c, config);
    await ensureModel(c, embedder.id, dims);
  });
  return checkEmbeddings(door, userId, embedder);
}

/** After an import or at open: queues re-embedding if memories lack the current model's vectors. */
export async function checkEmbeddings(door: UserDoor, userId: string, embedder: Embedder): Promise<EmbeddingStatus> {
  const model = await modelFor(door, userId, embedder);
  return door.withUserTransaction(userId, async (c) => {
    const r = await c.query<{ n: string }>(
      'SELECT count(*) AS n FROM memories m WHERE NOT m.archived AND NOT EXISTS (SELECT 1 FROM memory_embeddings e WHERE e.memory_id = m.id AND e.model_idx = $1)',
      [model.idx],
    );
    const missing = Number(r.rows[0]!.n);
    const job = missing ? (await enqueueJob(c, 'reembed', { model: model.id }, { dedupeKey: `reembed:${model.idx}` })).job : null;
    return { model, missing, models: await listModels(c), job };
  });
}

/**
 * The re-embedding job's work: batches of memories without the model's vector, each batch
 * embedded then written in one statement; progress after every batch.
 */
export async function reembedMissing(door: UserDoor, userId: string, embedder: Embedder, progress: (fraction: number, detail: Record<string, unknown>) => Promise<void>): Promise<{ model: string; embedded: number }> {
  const model = await modelFor(door, userId, embedder);
  const total = Number(
    (
      await door.withUser(userId, (c) =>
        c.query<{ n: string }>('SELECT count(*) AS n FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_embeddings e WHERE e.memory_id = m.id AND e.model_idx = $1)', [model.idx]),
      )
    ).rows[0]!.n,
  );
  let embedded = 0;
  let after = 0;
  for (;;) {
    const batch = await door.withUser(userId, (c) =>
      c.query<{ id: string; content: string }>(
        'SELECT m.id, m.content FROM memories m WHERE m.id > $2 AND NOT EXISTS (SELECT 1 FROM memory_embeddings e WHERE e.memory_id = m.id AND e.model_idx = $1) ORDER BY m.id LIMIT $3',
        [model.idx, after, Math.max(1, Math.min(256, embedder.maxBatch))],
      ),
    );
    if (!batch.rows.length) break;
    const vectors = await embedder.embed(batch.rows.map((b) => b.content));
    if (vectors.some((v) => v.length !== model.dimensions)) throw new EmilyError('PROVIDER_ERROR', `the model "${model.id}" returned vectors of another size than ${model.dimensions}`);
    await door.withUser(userId, (c) =>
      c.query(
        `INSERT INTO memory_embeddings (memory_id, model_idx, embedding)
         SELECT u.id, $1, u.v::vector(${model.dimensions}) FROM unnest($2::bigint[], $3::text[]) AS u(id, v)
         JOIN memories m ON m.id = u.id ON CONFLICT (memory_id, model_idx) DO NOTHING`,
        [model.idx, batch.rows.map((b) => b.id), vectors.map((v) => toVectorLiteral(v))],
      ),
    );
    embedded += batch.rows.length;
    after = Number(batch.rows[batch.rows.length - 1]!.id);
    await progress(total ? Math.min(1, embedded / total) : 1, { model: model.id, embedded, total });
  }
  return { model: model.id, embedded };
}
