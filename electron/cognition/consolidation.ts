import { defaultEmbedder, defaultExtractor, modelFor, type CognitionOptions, type UserDoor } from './context.js';
import { loadFramework } from './framework.js';
import { refreshGraphMetrics } from './graphMetrics.js';
import { promoteCandidates } from './promotion.js';
import { nearest } from './vectors.js';

/**
 * Background parts of self-correction, each in its own short transactions so that chat
 * keeps working: consolidate the L4 backlog, re-link orphans.
 */
export async function consolidateBacklog(door: UserDoor, userId: string, opts: CognitionOptions & { batch?: number; onBatch?: (done: number) => Promise<void> } = {}): Promise<{ turns: number; promoted: number; reinforced: number }> {
  const embedder = opts.embedder ?? defaultEmbedder;
  const extractor = opts.extractor ?? defaultExtractor;
  const model = await modelFor(door, userId, embedder);
  const totals = { turns: 0, promoted: 0, reinforced: 0 };
  for (;;) {
    const turns = await door.withUser(userId, (c) =>
      c.query<{ id: string; role: string; content: string; source: string }>('SELECT id, role, left(content, 20000) AS content, source FROM turns WHERE NOT consolidated ORDER BY id LIMIT $1', [opts.batch ?? 50]),
    );
    if (!turns.rows.length) return totals;
    for (const t of turns.rows) {
      const candidates = t.role === 'user' ? await extractor.extract({ userText: t.content }) : [];
      const vectors = await embedder.embed(candidates.map((c) => c.content));
      const decisions = await door.withUserTransaction(userId, async (c) => {
        const params = (await loadFramework(c)).params;
        const d = await promoteCandidates(c, {
          model,
          params,
          items: candidates.map((candidate, i) => ({ candidate, vector: vectors[i]! })),
          turnIds: [Number(t.id)],
          source: t.source === 'import' ? 'imported' : 'user-stated',
        });
        await c.query('UPDATE turns SET consolidated = true WHERE id = $1', [t.id]);
        return d;
      });
      totals.turns++;
      totals.promoted += decisions.filter((d) => d.decision === 'promoted').length;
      totals.reinforced += decisions.filter((d) => d.decision === 'reinforced').length;
    }
    await opts.onBatch?.(totals.turns);
  }
}

/** Memories without any edge get linked to their nearest neighbours above the floor. */
export async function relinkOrphans(door: UserDoor, userId: string, opts: CognitionOptions & { limit?: number } = {}): Promise<{ orphans: number; linked: number }> {
  const model = await modelFor(door, userId, opts.embedder ?? defaultEmbedder);
  return door.withUserTransaction(userId, async (c) => {
    const params = (await loadFramework(c)).params;
    const orphans = await c.query<{ id: string; v: string }>(
      `SELECT m.id, e.embedding::text AS v FROM memories m JOIN memory_embeddings e ON e.memory_id = m.id AND e.model_idx = $1
        WHERE NOT m.archived AND NOT EXISTS (SELECT 1 FROM memory_edges x WHERE x.src = m.id OR x.dst = m.id)
        ORDER BY m.id LIMIT $2`,
      [model.idx, opts.limit ?? 2000],
    );
    let linked = 0;
    const touched: number[] = [];
    for (const o of orphans.rows) {
      const id = Number(o.id);
      const near = (await nearest(c, model, o.v, params.maxLinks + 1, id)).filter((n) => n.sim >= params.linkFloor).slice(0, params.maxLinks);
      for (const n of near) {
        await c.query("INSERT INTO memory_edges (src, dst, kind, weight) VALUES ($1, $2, 'related', $3) ON CONFLICT DO NOTHING", [id, n.id, Math.round(n.sim * 1000) / 1000]);
        touched.push(n.id);
      }
      if (near.length) {
        linked++;
        touched.push(id);
      }
    }
    await refreshGraphMetrics(c, touched);
    return { orphans: orphans.rows.length, linked };
  });
}
