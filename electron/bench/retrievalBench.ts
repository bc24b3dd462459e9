import os from 'node:os';
import { defaultEmbedder } from '../cognition/context.js';
import { DEFAULT_FRAMEWORK } from '../cognition/framework.js';
import { queryWords, retrieve } from '../cognition/retrieval.js';
import { modelSql, vectorParam } from '../cognition/vectors.js';
import { withAdminClient } from '../databases/adminClient.js';
import { hnswIndexName } from '../embeddings/registry.js';
import { createUser } from '../operations/users.js';
import { syntheticQueries } from './corpus/synthetic.js';
import { loadSynthetic } from './retrievalLoad.js';
import { progress, withScratchEmily } from './scratch.js';
import { elapsedMs, percentile, round } from './stats.js';

export interface RetrievalBenchResult {
  l3: number;
  l4: number;
  dims: number;
  p50_ms: number;
  p95_ms: number;
  recall_at_10: number;
  exact_p95_ms: number;
  /** The HNSW top-10 query alone (same ef_search). */
  vector_p95_ms: number;
  queries: number;
  ef_search: number;
  m: number;
  ef_construction: number;
  load_s: number;
  index_build_s: number;
  /** 1-minute load average when the timing ended (other work on the machine inflates the times). */
  load_avg_1m: number;
}

/**
 * `emily bench retrieval`: a synthetic well-used Emily in a scratch database, then the
 * database side of retrieval (query already embedded) timed per query: the full hybrid
 * retrieve() (HNSW + full-text L3/L4 + one hop + provenance), and the HNSW top-10 against
 * exact search (index scans off) for recall@10.
 */
export async function benchRetrieval(opts: { l3?: number; l4?: number; queries?: number; efSearch?: number } = {}): Promise<RetrievalBenchResult> {
  const n = { l3: opts.l3 ?? 16_000, l4: opts.l4 ?? 25_000 };
  const queries = syntheticQueries(opts.queries ?? 300);
  const embedder = defaultEmbedder;
  const base = DEFAULT_FRAMEWORK.params;
  const params = opts.efSearch ? { ...base, retrieval: { ...base.retrieval, efSearch: opts.efSearch } } : base;
  return withScratchEmily({}, async (emily) => {
    const user = await createUser(emily, 'bench: well-used Emily');
    progress('loading the synthetic Emily');
    const { model, stats } = await emily.withUser(user.id, (c) => loadSynthetic(c, embedder, n, progress));
    // The load leaves about 100 MB to write out; timing starts once the server has written it.
    await withAdminClient(emily.primaryAdmin(), 'postgres', (c) => c.query('CHECKPOINT'));
    const vectors = (await embedder.embed(queries)).map((v) => vectorParam(model, v));
    const words = queries.map(queryWords);
    // The HNSW path as retrieval runs it: the index's candidates (halfvec), re-scored at full
    // precision; the truth is exact full-precision search.
    const { cast, full } = modelSql(model);
    const k0 = params.retrieval.vectorCandidates;
    const top10 = `SELECT memory_id, d FROM (SELECT memory_id, embedding::${full} <=> $1::${full} AS d FROM memory_embeddings WHERE model_idx = ${model.idx} ORDER BY embedding::${cast} <=> $1::${cast} LIMIT ${k0}) s ORDER BY d LIMIT 10`;
    const exactTop10 = `SELECT memory_id, embedding::${full} <=> $1::${full} AS d FROM memory_embeddings WHERE model_idx = ${model.idx} ORDER BY embedding::${full} <=> $1::${full} LIMIT 10`;
    return emily.withUser(user.id, async (c) => {
      // Each kind of query is timed in its own pass: the exact search reads every vector, and
      // run in between it would leave the next retrieval with cold CPU caches. The first 30
      // queries warm the caches; `around` runs untimed before and after each query.
      const timed = async (run: (i: number) => Promise<unknown>, around?: { before: () => Promise<unknown>; after: () => Promise<unknown> }): Promise<number[]> => {
        const times: number[] = [];
        for (let i = -30; i < queries.length; i++) {
          const q = (i + queries.length) % queries.length;
          await around?.before();
          const t = process.hrtime.bigint();
          await run(q);
          if (i >= 0) times.push(elapsedMs(t));
          await around?.after();
        }
        return times;
      };
      const inTransaction = async <T>(fn: () => Promise<T>): Promise<T> => {
        await c.query('BEGIN');
        try {
          return await fn();
        } finally {
          await c.query('COMMIT');
        }
      };
      progress('timing retrieval');
      // Retrieval runs in a transaction of its own, as recall() runs it.
      const hybrid = await timed((i) => retrieve(c, { model, vector: vectors[i]!, words: words[i]!, params, k: params.retrieval.k }), {
        before: () => c.query('BEGIN'),
        after: () => c.query('COMMIT'),
      });
      // Recall is measured at the width retrieval searched this index with (it depends on how
      // the index was built: see hnswBuildFor), and the build is read from the index itself.
      const ef = await inTransaction(async () => {
        await retrieve(c, { model, vector: vectors[0]!, words: words[0]!, params, k: params.retrieval.k });
        return Number((await c.query<{ ef: string }>("SELECT current_setting('hnsw.ef_search') AS ef")).rows[0]!.ef);
      });
      const build = await indexBuild(c, hnswIndexName(model.idx));
      const approx: { memory_id: string; d: number }[][] = [];
      const vectorOnly = await inTransaction(async () => {
        await c.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(ef)]);
        return timed(async (i) => (approx[i] = (await c.query<{ memory_id: string; d: number }>(top10, [vectors[i]])).rows));
      });
      const truth: { memory_id: string; d: number }[][] = [];
      const exact = await inTransaction(async () => {
        // Exact search: a sequential scan (with every path off the planner would pick the index).
        await c.query('SET LOCAL enable_indexscan = off');
        await c.query('SET LOCAL enable_bitmapscan = off');
        await c.query('SET LOCAL enable_seqscan = on');
        await assertSeqScan(c, exactTop10, vectors[0]!);
        return timed(async (i) => (truth[i] = (await c.query<{ memory_id: string; d: number }>(exactTop10, [vectors[i]])).rows));
      });
      let recallSum = 0;
      for (let i = 0; i < queries.length; i++) {
        // Tie-aware: a result as close as the exact 10th is as right as the one it displaced.
        const worst = Math.max(...truth[i]!.map((x) => Number(x.d)));
        recallSum += approx[i]!.filter((x) => Number(x.d) <= worst + 1e-6).length / Math.max(1, truth[i]!.length);
      }
      return {
        l3: n.l3,
        l4: n.l4,
        dims: model.dimensions,
        p50_ms: percentile(hybrid, 50),
        p95_ms: percentile(hybrid, 95),
        recall_at_10: round(recallSum / queries.length, 4),
        exact_p95_ms: percentile(exact, 95),
        vector_p95_ms: percentile(vectorOnly, 95),
        queries: queries.length,
        ef_search: ef,
        m: build.m,
        ef_construction: build.efConstruction,
        ...stats,
        load_avg_1m: round(os.loadavg()[0]!, 2),
      };
    });
  });
}

/** The parameters an HNSW index was built with (pgvector's defaults where none were given). */
async function indexBuild(c: import('pg').ClientBase, index: string): Promise<{ m: number; efConstruction: number }> {
  const r = await c.query<{ opts: string[] | null }>('SELECT reloptions AS opts FROM pg_class WHERE oid = to_regclass($1)', [index]);
  const opts = new Map((r.rows[0]?.opts ?? []).map((o) => o.split('=') as [string, string]));
  return { m: Number(opts.get('m') ?? 16), efConstruction: Number(opts.get('ef_construction') ?? 64) };
}

/** Guards the measurement itself: the "exact" query must not be served by the index. */
async function assertSeqScan(c: import('pg').ClientBase, sql: string, vector: string): Promise<void> {
  const plan = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [vector]);
  const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  if (/hnsw/i.test(text)) throw new Error(`the exact baseline used the HNSW index:\n${text}`);
}
