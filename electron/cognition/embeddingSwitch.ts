import type pg from 'pg';
import { EmilyError } from '../core/errors.js';
import { writeEmbeddingConfig } from '../embeddings/config.js';
import { embedderDimensions, ensureModel, listModels, type EmbeddingModel } from '../embeddings/registry.js';
import { toVectorLiteral, type Embedder, type EmbeddingConfig } from '../embeddings/types.js';
import { enqueueJob, type Job } from '../jobs/queue.js';
import { modelFor, type UserDoor } from './context.js';
import { TURN_EMBED_CHARS } from './vectors.js';

export interface EmbeddingStatus {
  model: EmbeddingModel;
  /** Memories without a vector of the current model (archived ones too: they may come back). */
  missing: number;
  /** L4 turns without a vector of the current model (they score on similarity once they have one). */
  missingTurns: number;
  models: (EmbeddingModel & { vectors: number })[];
  job: Job | null;
}

/**
 * What the re-embedding job fills, table by table: the rows that lack the model's vector.
 * Built from fixed identifiers only (never input), so that both tables share one query shape.
 */
interface VectorTarget {
  name: 'memories' | 'turns';
  count: string;
  batch: string;
  insert: (dims: number) => string;
}

function vectorTarget(name: VectorTarget['name'], t: { rows: string; vectors: string; key: string; content: string; filter: string }): VectorTarget {
  const missing = `FROM ${t.rows} r WHERE ${t.filter} AND NOT EXISTS (SELECT 1 FROM ${t.vectors} e WHERE e.${t.key} = r.id AND e.model_idx = $1)`;
  return {
    name,
    count: `SELECT count(*) AS n ${missing}`,
    batch: `SELECT r.id, ${t.content} AS content ${missing} AND r.id > $2 ORDER BY r.id LIMIT $3`,
    insert: (dims) => `INSERT INTO ${t.vectors} (${t.key}, model_idx, embedding)
      SELECT u.id, $1, u.v::vector(${dims}) FROM unnest($2::bigint[], $3::text[]) AS u(id, v)
      JOIN ${t.rows} r ON r.id = u.id ON CONFLICT (${t.key}, model_idx) DO NOTHING`,
  };
}

const MEMORIES = vectorTarget('memories', { rows: 'memories', vectors: 'memory_embeddings', key: 'memory_id', content: 'r.content', filter: 'true' });
// Empty turns (a reply cut before its first word) have nothing to embed.
const TURNS = vectorTarget('turns', { rows: 'turns', vectors: 'turn_embeddings', key: 'turn_id', content: `left(r.content, ${TURN_EMBED_CHARS})`, filter: "r.content <> ''" });

async function countMissing(c: pg.ClientBase, target: VectorTarget, modelIdx: number): Promise<number> {
  return Number((await c.query<{ n: string }>(target.count, [modelIdx])).rows[0]!.n);
}

/**
 * Switching model: records the choice, registers the model (and its HNSW index) and
 * queues the re-embedding of every memory and turn in the background. Retrieval meanwhile
 * uses the vectors there are plus full-text search.
 */
export async function setEmbeddingModel(door: UserDoor, userId: string, config: EmbeddingConfig, embedder: Embedder): Promise<EmbeddingStatus> {
  const dims = await embedderDimensions(embedder);
  await door.withUserTransaction(userId, async (c) => {
    await writeEmbeddingConfig(c, config);
    await ensureModel(c, embedder.id, dims);
  });
  return checkEmbeddings(door, userId, embedder);
}

/** After an import or at open: queues re-embedding if memories or turns lack the current model's vectors. */
export async function checkEmbeddings(door: UserDoor, userId: string, embedder: Embedder): Promise<EmbeddingStatus> {
  const model = await modelFor(door, userId, embedder);
  return door.withUserTransaction(userId, async (c) => {
    const missing = await countMissing(c, MEMORIES, model.idx);
    const missingTurns = await countMissing(c, TURNS, model.idx);
    const job = missing || missingTurns ? (await enqueueJob(c, 'reembed', { model: model.id }, { dedupeKey: `reembed:${model.idx}` })).job : null;
    return { model, missing, missingTurns, models: await listModels(c), job };
  });
}

/**
 * The re-embedding job's work: memories first (retrieval finds them by vector), then turns;
 * batches of rows without the model's vector, each batch embedded then written in one
 * statement; progress after every batch.
 */
export async function reembedMissing(
  door: UserDoor,
  userId: string,
  embedder: Embedder,
  progress: (fraction: number, detail: Record<string, unknown>) => Promise<void>,
): Promise<{ model: string; embedded: number; turns: number }> {
  const model = await modelFor(door, userId, embedder);
  const totals = await door.withUser(userId, async (c) => ({ memories: await countMissing(c, MEMORIES, model.idx), turns: await countMissing(c, TURNS, model.idx) }));
  const total = totals.memories + totals.turns;
  const done = { memories: 0, turns: 0 };
  for (const target of [MEMORIES, TURNS]) {
    let after = 0;
    for (;;) {
      const batch = await door.withUser(userId, (c) => c.query<{ id: string; content: string }>(target.batch, [model.idx, after, Math.max(1, Math.min(256, embedder.maxBatch))]));
      if (!batch.rows.length) break;
      const vectors = await embedder.embed(batch.rows.map((b) => b.content));
      if (vectors.some((v) => v.length !== model.dimensions)) throw new EmilyError('PROVIDER_ERROR', `the model "${model.id}" returned vectors of another size than ${model.dimensions}`);
      await door.withUser(userId, (c) => c.query(target.insert(model.dimensions), [model.idx, batch.rows.map((b) => b.id), vectors.map((v) => toVectorLiteral(v))]));
      done[target.name] += batch.rows.length;
      after = Number(batch.rows[batch.rows.length - 1]!.id);
      await progress(total ? Math.min(1, (done.memories + done.turns) / total) : 1, { model: model.id, embedded: done.memories, turns: done.turns, total });
    }
  }
  return { model: model.id, embedded: done.memories, turns: done.turns };
}
