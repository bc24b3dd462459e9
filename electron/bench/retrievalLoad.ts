import type pg from 'pg';
import { ensureModel, createModelIndex, type EmbeddingModel } from '../embeddings/registry.js';
import type { Embedder } from '../embeddings/types.js';
import { TURN_EMBED_CHARS } from '../cognition/vectors.js';
import { Rng, syntheticMemories, syntheticTurns } from './corpus/synthetic.js';

const DAY = 86_400_000;

/** Shortest text form of a float32 vector: keeps literals (and the load) small. */
function literal(v: Float32Array): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (v[i] === 0 ? '0' : v[i]!.toPrecision(6));
  return `${s}]`;
}

async function insertVectors(c: pg.ClientBase, table: 'memory_embeddings' | 'turn_embeddings', key: 'memory_id' | 'turn_id', model: EmbeddingModel, ids: number[], vectors: Float32Array[]): Promise<void> {
  await c.query(`INSERT INTO ${table} (${key}, model_idx, embedding) SELECT u.id, $1, u.v::vector(${model.dimensions}) FROM unnest($2::bigint[], $3::text[]) AS u(id, v)`, [
    model.idx,
    ids,
    vectors.map(literal),
  ]);
}

export interface LoadStats {
  load_s: number;
  index_build_s: number;
  edges: number;
}

/**
 * Bulk-loads a synthetic well-used Emily into an (empty) user database: conversations,
 * L4 turns and their vectors, L3 memories with metrics and vectors, provenance and edges, with multi-row
 * INSERT … SELECT FROM unnest in chunks; the HNSW index is built after the load (faster).
 */
export async function loadSynthetic(c: pg.ClientBase, embedder: Embedder, n: { l3: number; l4: number }, progress: (m: string) => void): Promise<{ model: EmbeddingModel; stats: LoadStats }> {
  const t0 = Date.now();
  const r = new Rng(7);
  const now = Date.now();
  const model = await ensureModel(c, embedder.id, embedder.dimensions, { index: false });
  // Conversations of ~20 turns over two years.
  const convs = Math.max(1, Math.ceil(n.l4 / 20));
  const convRes = await c.query<{ id: string }>("INSERT INTO conversations (title, created_at) SELECT 'Conversation ' || g, now() - (g || ' hours')::interval FROM generate_series(1, $1) g RETURNING id", [convs]);
  const convIds = convRes.rows.map((x) => Number(x.id));
  const turns = syntheticTurns(n.l4);
  const turnIds: number[] = [];
  for (let i = 0; i < turns.length; i += 5000) {
    const chunk = turns.slice(i, i + 5000);
    const res = await c.query<{ id: string }>(
      `INSERT INTO turns (conversation_id, role, content, created_at, consolidated)
       SELECT * , true FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) RETURNING id`,
      [chunk.map((_, j) => convIds[Math.floor((i + j) / 20)]!), chunk.map((t) => t.role), chunk.map((t) => t.content), chunk.map((_, j) => new Date(now - (turns.length - i - j) * 40 * 60_000))],
    );
    const ids = res.rows.map((x) => Number(x.id));
    turnIds.push(...ids);
    // Every turn has its vector, as the learning cycle writes it (an L4 match scores on similarity).
    const vectors = await embedder.embed(chunk.map((t) => t.content.slice(0, TURN_EMBED_CHARS)));
    await insertVectors(c, 'turn_embeddings', 'turn_id', model, ids, vectors);
    progress(`L4 turns ${Math.min(turns.length, i + 5000)}/${turns.length}`);
  }
  const mems = syntheticMemories(n.l3);
  const memIds: number[] = [];
  for (let i = 0; i < mems.length; i += 2000) {
    const chunk = mems.slice(i, i + 2000);
    const vectors = await embedder.embed(chunk.map((m) => m.content));
    const f = () => chunk.map(() => 0.2 + r.next() * 0.8);
    const res = await c.query<{ id: string }>(
      `INSERT INTO memories (content, kind, source, created_at, last_used_at, use_count, epsilon, outcome, novelty, stability, confidence, integration, salience)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::real[], $8::real[], $9::real[], $10::real[], $11::real[], $12::real[], $13::real[])
       RETURNING id`,
      [
        chunk.map((m) => m.content),
        chunk.map((m) => m.kind),
        chunk.map(() => r.pick(['user-stated', 'user-stated', 'inferred', 'imported'])),
        chunk.map(() => new Date(now - r.next() * 700 * DAY)),
        chunk.map(() => (r.next() < 0.7 ? new Date(now - r.next() * 90 * DAY) : null)),
        chunk.map(() => r.int(40)),
        f(),
        f(),
        f(),
        f(),
        chunk.map(() => 0.7 + r.next() * 0.3),
        f(),
        f(),
      ],
    );
    const ids = res.rows.map((x) => Number(x.id));
    memIds.push(...ids);
    await insertVectors(c, 'memory_embeddings', 'memory_id', model, ids, vectors);
    // Provenance: each memory came from one or two user turns.
    const src = ids.flatMap((id) => Array.from({ length: 1 + r.int(2) }, () => [id, turnIds[2 * r.int(turnIds.length / 2)]!]));
    await c.query('INSERT INTO memory_sources (memory_id, turn_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING', [src.map((s) => s[0]), src.map((s) => s[1])]);
    progress(`L3 memories ${Math.min(mems.length, i + 2000)}/${mems.length}`);
  }
  // Edges: each memory related to 0–3 others (a fifth of them strong).
  const edges: [number, number, number][] = [];
  for (const id of memIds) for (let k = r.int(4); k > 0; k--) {
    const dst = memIds[r.int(memIds.length)]!;
    if (dst !== id) edges.push([id, dst, r.next() < 0.2 ? 0.5 + r.next() * 0.5 : 0.35 + r.next() * 0.15]);
  }
  await c.query("INSERT INTO memory_edges (src, dst, kind, weight) SELECT s, d, 'related', w FROM unnest($1::bigint[], $2::bigint[], $3::real[]) AS u(s, d, w) ON CONFLICT DO NOTHING", [
    edges.map((e) => e[0]),
    edges.map((e) => e[1]),
    edges.map((e) => e[2]),
  ]);
  const load_s = (Date.now() - t0) / 1000;
  progress('building the HNSW index');
  const t1 = Date.now();
  await c.query("SET maintenance_work_mem = '256MB'");
  await createModelIndex(c, model);
  const index_build_s = (Date.now() - t1) / 1000;
  // A well-used Emily has been vacuumed by autovacuum long ago (hint bits, visibility map).
  await c.query('VACUUM (ANALYZE)');
  return { model, stats: { load_s: round(load_s), index_build_s: round(index_build_s), edges: edges.length } };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
