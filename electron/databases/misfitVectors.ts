import type pg from 'pg';

/**
 * Vectors whose size is not their model's. Emily never writes one (every vector is checked
 * against its model), but a hand-edited or damaged dump can carry one, and a single one
 * fails the model's HNSW build and every search of that model. A vector is derived data:
 * deleted, it is missing, and the re-embedding job builds it again from the kept text.
 */
const TABLES = ['memory_embeddings', 'turn_embeddings'] as const;

const MISFIT = 'm.idx = e.model_idx AND vector_dims(e.embedding) <> m.dimensions';

/** The tables that hold vectors (a database whose vector extension was dropped has lost the columns). */
async function vectorTables(c: pg.ClientBase): Promise<string[]> {
  const r = await c.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname = ANY ($1) AND a.attname = 'embedding' AND NOT a.attisdropped AND a.atttypid = to_regtype('vector')`,
    [TABLES],
  );
  return TABLES.filter((t) => r.rows.some((x) => x.t === t));
}

export async function countMisfitVectors(c: pg.ClientBase): Promise<number> {
  let n = 0;
  for (const t of await vectorTables(c)) n += Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM public.${t} e JOIN public.embedding_models m ON ${MISFIT}`)).rows[0]!.n);
  return n;
}

export async function dropMisfitVectors(c: pg.ClientBase): Promise<number> {
  let n = 0;
  for (const t of await vectorTables(c)) n += (await c.query(`DELETE FROM public.${t} e USING public.embedding_models m WHERE ${MISFIT}`)).rowCount ?? 0;
  return n;
}
