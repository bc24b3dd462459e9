import type pg from 'pg';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { toVectorLiteral } from '../embeddings/types.js';
import { defaultEmbedder, modelFor, type CognitionOptions, type UserDoor } from './context.js';
import { ecgl, loadFramework, recencyOf, type FrameworkParams } from './framework.js';
import { refreshGraphMetrics } from './graphMetrics.js';
import { METRIC_NAMES, type MemoryDetail, type MemoryMetrics, type MemorySummary, type TierBalance, type TurnSummary } from './memoryTypes.js';
import { queryWords } from './retrieval.js';
import { cleanText, MAX_MEMORY_CHARS, MAX_QUERY_CHARS, positiveId } from './text.js';
import { storeEmbedding } from './vectors.js';

const KINDS = ['fact', 'preference', 'episode', 'goal', 'reflection', 'outcome'];

export interface ListOptions {
  tier?: 'L3' | 'L4';
  kind?: string;
  /** Full-text search (all words, prefix match). */
  q?: string;
  pinned?: boolean;
  /** false (default): live memories; true: archived only; 'all': both. */
  archived?: boolean | 'all';
  sort?: 'recent' | 'used' | 'created';
  limit?: number;
  offset?: number;
}

export interface ListResult<T> {
  items: T[];
  total: number;
}

type MemoryRow = Record<(typeof METRIC_NAMES)[number], number> & {
  id: string;
  content: string;
  kind: string;
  source: string;
  pinned: boolean;
  archived: boolean;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
  use_count: number;
};

const MEMORY_COLS = `id, content, kind, source, pinned, archived, created_at, updated_at, last_used_at, use_count, ${METRIC_NAMES.join(', ')}`;

function toSummary(r: MemoryRow, params: FrameworkParams): MemorySummary {
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, Number(r[m])])) as unknown as MemoryMetrics;
  // The stored recency is 1 at each use; what it is worth now decays with the time since.
  metrics.recency = Math.round(recencyOf(params, r.last_used_at ?? r.created_at) * 10000) / 10000;
  return {
    tier: 'L3',
    id: Number(r.id),
    content: r.content,
    kind: r.kind,
    source: r.source,
    pinned: r.pinned,
    archived: r.archived,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    lastUsedAt: r.last_used_at ? r.last_used_at.toISOString() : null,
    useCount: r.use_count,
    metrics,
    ecgl: Math.round(ecgl(params, metrics) * 10000) / 10000,
  };
}

function pageOf(opts: ListOptions): { limit: number; offset: number } {
  const limit = opts.limit ?? 50;
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new EmilyError('BAD_INPUT', 'limit must be a whole number from 1 to 500');
  if (!Number.isInteger(offset) || offset < 0) throw new EmilyError('BAD_INPUT', 'offset must be a whole number ≥ 0');
  return { limit, offset };
}

/** All words, each as a prefix; words are letters/digits only (see orQuery). */
function prefixQuery(words: string[]): string | null {
  const safe = words.filter((w) => /^[\p{L}\p{M}\p{N}]+$/u.test(w));
  return safe.length ? safe.map((w) => `'${w}':*`).join(' & ') : null;
}

/** The memory browser's list: L3 memories or L4 turns, filtered, searched, paged. */
export async function listMemories(door: UserDoor, userId: string, opts: ListOptions = {}): Promise<ListResult<MemorySummary> | ListResult<TurnSummary>> {
  const { limit, offset } = pageOf(opts);
  const words = opts.q === undefined ? null : prefixQuery(queryWords(cleanText(opts.q, 'the search', MAX_QUERY_CHARS, { allowEmpty: true })));
  if (opts.kind !== undefined && !KINDS.includes(opts.kind)) throw new EmilyError('BAD_INPUT', `kind must be one of ${KINDS.join(', ')}`);
  return door.withUser(userId, async (c) => {
    if (opts.tier === 'L4') {
      const where = "($1::text IS NULL OR tsv @@ to_tsquery('simple', $1))";
      const [rows, total] = await Promise.all([
        c.query<{ id: string; conversation_id: string; role: string; content: string; source: string; source_id: string | null; created_at: Date; consolidated: boolean }>(
          `SELECT id, conversation_id, role, left(content, 2000) AS content, source, source_id, created_at, consolidated FROM turns WHERE ${where} ORDER BY id DESC LIMIT $2 OFFSET $3`,
          [words, limit, offset],
        ),
        c.query<{ n: string }>(`SELECT count(*) AS n FROM turns WHERE ${where}`, [words]),
      ]).catch(sequentialError);
      return {
        items: rows.rows.map((r) => ({ tier: 'L4' as const, id: Number(r.id), conversationId: Number(r.conversation_id), role: r.role, content: r.content, source: r.source, sourceId: r.source_id, createdAt: r.created_at.toISOString(), consolidated: r.consolidated })),
        total: Number(total.rows[0]!.n),
      };
    }
    const params = (await loadFramework(c)).params;
    const archived = opts.archived ?? false;
    const where = `($1::text IS NULL OR tsv @@ to_tsquery('simple', $1))
      AND ($2::text IS NULL OR kind = $2) AND ($3::boolean IS NULL OR pinned = $3) AND ($4::boolean IS NULL OR archived = $4)`;
    const args = [words, opts.kind ?? null, opts.pinned ?? null, archived === 'all' ? null : archived];
    const order = opts.sort === 'used' ? 'use_count DESC, id DESC' : opts.sort === 'created' ? 'id DESC' : 'coalesce(last_used_at, created_at) DESC, id DESC';
    const rows = await c.query<MemoryRow>(`SELECT ${MEMORY_COLS} FROM memories WHERE ${where} ORDER BY pinned DESC, ${order} LIMIT $5 OFFSET $6`, [...args, limit, offset]);
    const total = await c.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE ${where}`, args);
    return { items: rows.rows.map((r) => toSummary(r, params)), total: Number(total.rows[0]!.n) };
  });
}

function sequentialError(e: unknown): never {
  throw toEmilyError(e, 'could not list');
}

/** One memory with its metrics, outcome history, edges, provenance and embeddings. */
export async function getMemory(door: UserDoor, userId: string, memoryId: unknown): Promise<MemoryDetail> {
  const id = positiveId(memoryId, 'memory id');
  return door.withUser(userId, (c) => memoryDetail(c, id));
}

export async function memoryDetail(c: pg.ClientBase, id: number): Promise<MemoryDetail> {
  const params = (await loadFramework(c)).params;
  const m = await c.query<MemoryRow>(`SELECT ${MEMORY_COLS} FROM memories WHERE id = $1`, [id]);
  if (!m.rows[0]) throw new EmilyError('NOT_FOUND', `there is no memory ${id}; it may have been deleted`);
  const outcomes = await c.query<{ id: string; signal: string; value: number; overridden: boolean; turn_id: string | null; created_at: Date }>(
    'SELECT id, signal, value, overridden, turn_id, created_at FROM outcome_events WHERE memory_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200',
    [id],
  );
  const edges = await c.query<{ direction: 'out' | 'in'; kind: MemoryDetail['edges'][number]['kind']; weight: number; other_id: string; content: string; archived: boolean }>(
    `SELECT 'out' AS direction, e.kind, e.weight, m.id AS other_id, m.content, m.archived FROM memory_edges e JOIN memories m ON m.id = e.dst WHERE e.src = $1
     UNION ALL
     SELECT 'in', e.kind, e.weight, m.id, m.content, m.archived FROM memory_edges e JOIN memories m ON m.id = e.src WHERE e.dst = $1
     ORDER BY weight DESC LIMIT 200`,
    [id],
  );
  const prov = await c.query<{ turn_id: string; conversation_id: string; role: string; source: string; source_id: string | null; created_at: Date }>(
    'SELECT t.id AS turn_id, t.conversation_id, t.role, t.source, t.source_id, t.created_at FROM memory_sources s JOIN turns t ON t.id = s.turn_id WHERE s.memory_id = $1 ORDER BY t.id',
    [id],
  );
  const emb = await c.query<{ id: string; dimensions: number; created_at: Date }>(
    'SELECT m.id, m.dimensions, e.created_at FROM memory_embeddings e JOIN embedding_models m ON m.idx = e.model_idx WHERE e.memory_id = $1 ORDER BY m.idx',
    [id],
  );
  return {
    ...toSummary(m.rows[0], params),
    outcomes: outcomes.rows.map((o) => ({ id: Number(o.id), signal: o.signal, value: Number(o.value), overridden: o.overridden, turnId: o.turn_id === null ? null : Number(o.turn_id), createdAt: o.created_at.toISOString() })),
    edges: edges.rows.map((e) => ({ direction: e.direction, kind: e.kind, weight: Number(e.weight), other: { id: Number(e.other_id), content: e.content, archived: e.archived } })),
    provenance: prov.rows.map((p) => ({ turnId: Number(p.turn_id), conversationId: Number(p.conversation_id), role: p.role, source: p.source, sourceId: p.source_id, createdAt: p.created_at.toISOString() })),
    embeddings: emb.rows.map((e) => ({ model: e.id, dimensions: e.dimensions, createdAt: e.created_at.toISOString() })),
  };
}

/**
 * Edits a memory's text. The memory keeps its id, metrics and edges; the old text is kept
 * as an archived copy that the memory `supersedes` (history, never a silent overwrite).
 * It is re-embedded with the current model; other models' vectors of it are dropped
 * (stale) and rebuilt by the re-embedding job.
 */
export async function editMemory(door: UserDoor, userId: string, memoryId: unknown, text: unknown, opts: CognitionOptions = {}): Promise<MemoryDetail> {
  const id = positiveId(memoryId, 'memory id');
  const content = cleanText(text, 'the memory text', MAX_MEMORY_CHARS);
  const embedder = opts.embedder ?? defaultEmbedder;
  const model = await modelFor(door, userId, embedder);
  const [vector] = await embedder.embed([content]);
  return door.withUserTransaction(userId, async (c) => {
    const old = await c.query<{ content: string }>('SELECT content FROM memories WHERE id = $1 FOR UPDATE', [id]);
    if (!old.rows[0]) throw new EmilyError('NOT_FOUND', `there is no memory ${id}; it may have been deleted`);
    if (old.rows[0].content === content) return memoryDetail(c, id);
    const copy = await c.query<{ id: string }>(
      `INSERT INTO memories (content, kind, source, archived, created_at, use_count, ${METRIC_NAMES.join(', ')})
       SELECT content, kind, source, true, created_at, use_count, ${METRIC_NAMES.join(', ')} FROM memories WHERE id = $1 RETURNING id`,
      [id],
    );
    const copyId = Number(copy.rows[0]!.id);
    await c.query('INSERT INTO memory_sources (memory_id, turn_id) SELECT $2, turn_id FROM memory_sources WHERE memory_id = $1', [id, copyId]);
    await c.query("INSERT INTO memory_edges (src, dst, kind, weight) VALUES ($1, $2, 'supersedes', 1)", [id, copyId]);
    await c.query("UPDATE memories SET content = $2, source = 'user-stated', updated_at = now() WHERE id = $1", [id, content]);
    await c.query('DELETE FROM memory_embeddings WHERE memory_id = $1 AND model_idx <> $2', [id, model.idx]);
    await storeEmbedding(c, model, id, toVectorLiteral(vector!));
    await refreshGraphMetrics(c, [id, copyId]);
    return memoryDetail(c, id);
  });
}

async function setFlag(door: UserDoor, userId: string, memoryId: unknown, column: 'pinned' | 'archived', value: boolean): Promise<MemoryDetail> {
  const id = positiveId(memoryId, 'memory id');
  if (typeof value !== 'boolean') throw new EmilyError('BAD_INPUT', `${column} must be true or false`);
  return door.withUserTransaction(userId, async (c) => {
    // Pinning marks importance: salience goes up (and stays at least where it was).
    const extra = column === 'pinned' && value ? ', salience = greatest(salience, 0.9)' : '';
    const r = await c.query(`UPDATE memories SET ${column} = $2, updated_at = now()${extra} WHERE id = $1`, [id, value]);
    if (!r.rowCount) throw new EmilyError('NOT_FOUND', `there is no memory ${id}; it may have been deleted`);
    return memoryDetail(c, id);
  });
}

export const pinMemory = (door: UserDoor, userId: string, memoryId: unknown, pinned = true) => setFlag(door, userId, memoryId, 'pinned', pinned);
export const archiveMemory = (door: UserDoor, userId: string, memoryId: unknown, archived = true) => setFlag(door, userId, memoryId, 'archived', archived);

/** Deletes a memory for good (its vectors, edges, uses and outcome history go with it). */
export async function deleteMemory(door: UserDoor, userId: string, memoryId: unknown): Promise<{ deleted: number }> {
  const id = positiveId(memoryId, 'memory id');
  return door.withUserTransaction(userId, async (c) => {
    const neighbours = await c.query<{ id: string }>('SELECT dst AS id FROM memory_edges WHERE src = $1 UNION SELECT src FROM memory_edges WHERE dst = $1', [id]);
    const r = await c.query('DELETE FROM memories WHERE id = $1', [id]);
    if (!r.rowCount) throw new EmilyError('NOT_FOUND', `there is no memory ${id}; it may have been deleted already`);
    await refreshGraphMetrics(c, neighbours.rows.map((n) => Number(n.id)));
    return { deleted: id };
  });
}

/** L3 : L4 against the 30/70 band [published]. */
export async function tierBalance(door: UserDoor, userId: string): Promise<TierBalance> {
  return door.withUser(userId, async (c) => {
    const params = (await loadFramework(c)).params;
    const r = await c.query<{ l3: string; l4: string }>('SELECT (SELECT count(*) FROM memories WHERE NOT archived) AS l3, (SELECT count(*) FROM turns) AS l4');
    const l3 = Number(r.rows[0]!.l3);
    const l4 = Number(r.rows[0]!.l4);
    const share = l3 + l4 ? l3 / (l3 + l4) : 0;
    const b = params.balance;
    const state = l3 + l4 === 0 ? 'empty' : share < b.low ? 'under-integrating' : share > b.high ? 'over-remembering' : 'balanced';
    return { l3, l4, l3Share: Math.round(share * 10000) / 10000, band: { low: b.low, target: b.target, high: b.high }, state };
  });
}
