import type pg from 'pg';

/**
 * Integration (weighted degree, normalised) and coherence (lowered by contradicting or
 * superseding edges) of the given memories, recomputed from their edges in one statement.
 */
export async function refreshGraphMetrics(client: pg.ClientBase, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await client.query(
    `WITH ids AS (SELECT DISTINCT unnest($1::bigint[]) AS id),
     g AS (
       SELECT ids.id,
              coalesce(sum(e.weight) FILTER (WHERE e.kind IN ('related', 'supports')), 0) AS deg,
              coalesce(sum(e.weight) FILTER (WHERE e.kind = 'contradicts' OR (e.kind = 'supersedes' AND e.dst = ids.id)), 0) AS against
         FROM ids LEFT JOIN memory_edges e ON e.src = ids.id OR e.dst = ids.id
        GROUP BY ids.id)
     UPDATE memories m
        SET integration = least(1, g.deg / 3.0),
            coherence = greatest(0, 1 - 0.5 * g.against),
            updated_at = now()
       FROM g WHERE m.id = g.id`,
    [ids],
  );
}
