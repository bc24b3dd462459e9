import type pg from 'pg';
import { createModelIndex, hnswIndexName, type EmbeddingModel } from '../embeddings/registry.js';
import { enqueueJob } from '../jobs/queue.js';

/**
 * What `DROP EXTENSION vector CASCADE` (or a broken restore) takes with it while the
 * migration ledger still says all is well: the embedding columns and the HNSW indexes.
 */
export const VECTOR_COLUMNS = ['memory_embeddings', 'turn_embeddings'] as const;

/** The embedding columns of type vector there are ($1: VECTOR_COLUMNS), for a query's FROM. */
export const VECTOR_COLUMNS_FROM = `pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND a.attname = 'embedding' AND NOT a.attisdropped AND t.typname = 'vector'`;

export interface VectorSchema {
  /** Tables whose `embedding` column of type vector is gone. */
  missingColumns: string[];
  /** Embedding models without their HNSW index. */
  missingIndexes: EmbeddingModel[];
}

export async function vectorSchema(c: pg.ClientBase): Promise<VectorSchema> {
  const r = await c.query<{ relname: string }>(
    `SELECT c.relname FROM ${VECTOR_COLUMNS_FROM}`,
    [[...VECTOR_COLUMNS]],
  );
  const present = new Set(r.rows.map((x) => x.relname));
  const missingColumns = VECTOR_COLUMNS.filter((t) => !present.has(t));
  const models = await c.query<EmbeddingModel & { indexed: boolean }>(
    // Past 4,000 dimensions there is no HNSW index by design (exact search serves them).
    "SELECT idx, id, dimensions, dimensions > 4000 OR to_regclass('memory_embeddings_hnsw_' || idx) IS NOT NULL AS indexed FROM embedding_models ORDER BY idx",
  );
  const missingIndexes = missingColumns.includes('memory_embeddings') ? models.rows : models.rows.filter((m) => !m.indexed);
  return { missingColumns, missingIndexes: missingIndexes.map(({ idx, id, dimensions }) => ({ idx, id, dimensions })) };
}

/**
 * Puts the embedding columns back. The vectors themselves went with the extension: the
 * rows that held them are removed (a row without its vector means nothing) and a
 * re-embedding job builds them again; retrieval works on full text meanwhile.
 */
export async function repairVectorColumns(c: pg.ClientBase, missingColumns: string[]): Promise<string[]> {
  const done: string[] = [];
  await c.query('BEGIN');
  try {
    for (const table of missingColumns) {
      if (!(VECTOR_COLUMNS as readonly string[]).includes(table)) throw new Error(`not an embedding table: ${table}`);
      await c.query(`DELETE FROM ${table}`);
      await c.query(`ALTER TABLE ${table} ADD COLUMN embedding vector NOT NULL`);
      done.push(`re-created ${table}.embedding (its vectors were lost with the extension)`);
    }
    // current: only the app knows which model is in use (as for misfit vectors).
    await enqueueJob(c, 'reembed', { current: true, reason: 'doctor' }, { dedupeKey: 'reembed:current' });
    done.push('queued a re-embedding job to build the vectors again');
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return done;
}

/**
 * Builds the missing HNSW indexes, each on its own: one whose vectors do not fit halfvec
 * (values beyond its range, as an import may bring) stays unbuilt, as at import, and
 * exact search serves that model.
 */
export async function buildMissingIndexes(c: pg.ClientBase, models: EmbeddingModel[]): Promise<{ built: string[]; failed: string[] }> {
  const built: string[] = [];
  const failed: string[] = [];
  for (const m of models) {
    try {
      await createModelIndex(c, m);
      built.push(`built the HNSW index ${hnswIndexName(m.idx)} of ${m.id}`);
    } catch (e) {
      failed.push(`the HNSW index of ${m.id} cannot be built (${e instanceof Error ? e.message : String(e)}); search works without it, more slowly`);
    }
  }
  return { built, failed };
}
