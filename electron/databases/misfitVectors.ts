import type pg from 'pg';
import { quoteIdent } from '../core/ids.js';
import { enqueueJob } from '../jobs/queue.js';
import { inTransaction } from './transaction.js';

/**
 * Vectors whose size is not their model's. Emily never writes one (every vector is checked
 * against its model), but a hand-edited or damaged dump can carry one, and a single one
 * fails the model's HNSW build and every search of that model. A vector is derived data:
 * deleted, it is missing, and the re-embedding job builds it again from the kept text.
 *
 * The caller's connection is a superuser's, into a database the profile's role owns (and
 * could have filled with triggers, views or functions named like ours). So the work runs as
 * that role, with pg_catalog first on the search path, on plain tables only.
 */
const TABLES = ['memory_embeddings', 'turn_embeddings'] as const;
type VectorTable = (typeof TABLES)[number];

const MISFIT = 'm.idx = e.model_idx AND public.vector_dims(e.embedding) OPERATOR(pg_catalog.<>) m.dimensions';

export async function countMisfitVectors(c: pg.ClientBase, ownerRole: string | undefined): Promise<number> {
  return asOwner(c, ownerRole, async () => {
    let n = 0;
    for (const t of await vectorTables(c)) n += Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM public.${t} e JOIN public.embedding_models m ON ${MISFIT}`)).rows[0]!.n);
    return n;
  });
}

/**
 * Deletes them and, when there were any, queues one re-embedding job for the model in use
 * (as migration 0003 does: only the app knows which model that is). Vectors of other
 * models are rebuilt when the user switches to one of them.
 */
export async function dropMisfitVectors(c: pg.ClientBase, ownerRole: string | undefined): Promise<Record<VectorTable, number>> {
  return asOwner(c, ownerRole, async () => {
    const dropped: Record<VectorTable, number> = { memory_embeddings: 0, turn_embeddings: 0 };
    for (const t of await vectorTables(c)) dropped[t] = (await c.query(`DELETE FROM public.${t} e USING public.embedding_models m WHERE ${MISFIT}`)).rowCount ?? 0;
    if (dropped.memory_embeddings + dropped.turn_embeddings > 0) await enqueueJob(c, 'reembed', { current: true }, { dedupeKey: 'reembed:current' });
    return dropped;
  });
}

async function asOwner<T>(c: pg.ClientBase, ownerRole: string | undefined, fn: () => Promise<T>): Promise<T> {
  return inTransaction(c, async () => {
    if (ownerRole) await c.query(`SET LOCAL ROLE ${quoteIdent(ownerRole)}`);
    await c.query('SET LOCAL search_path = pg_catalog, public');
    return fn();
  });
}

/** The plain tables that hold vectors (a database whose vector extension was dropped has lost the columns). */
async function vectorTables(c: pg.ClientBase): Promise<VectorTable[]> {
  const r = await c.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY ($1) AND a.attname = 'embedding' AND NOT a.attisdropped
        AND a.atttypid = to_regtype('public.vector')`,
    [TABLES],
  );
  return TABLES.filter((t) => r.rows.some((x) => x.t === t));
}
