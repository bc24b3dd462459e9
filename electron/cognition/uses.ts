import type pg from 'pg';

export interface UseInput {
  memoryId: number;
  /** The score components the memory came with (kept with the use, for EARL and the UI). */
  score?: Record<string, number>;
}

/**
 * Records that memories were used (in the context of reply `turnId`, or in a bare recall
 * when null) and bumps their use count, last use, recency and frequency: one statement.
 * Unknown or deleted memories are skipped. Returns how many uses were written.
 */
export async function recordUses(client: pg.ClientBase, turnId: number | null, uses: UseInput[]): Promise<number> {
  if (!uses.length) return 0;
  const r = await client.query<{ n: string }>(
    `WITH ins AS (
       INSERT INTO memory_uses (memory_id, turn_id, score)
       SELECT u.m, $1::bigint, u.s FROM unnest($2::bigint[], $3::jsonb[]) AS u(m, s) JOIN memories mm ON mm.id = u.m
       RETURNING memory_id),
     c AS (SELECT memory_id, count(*) AS n FROM ins GROUP BY memory_id),
     upd AS (
       UPDATE memories m SET use_count = m.use_count + c.n, last_used_at = now(), recency = 1,
              frequency = least(1, ln(m.use_count + c.n + 1) / ln(100))
         FROM c WHERE m.id = c.memory_id RETURNING m.id)
     SELECT (SELECT count(*) FROM ins) AS n`,
    [turnId, uses.map((u) => u.memoryId), uses.map((u) => JSON.stringify(u.score ?? {}))],
  );
  return Number(r.rows[0]?.n ?? 0);
}
