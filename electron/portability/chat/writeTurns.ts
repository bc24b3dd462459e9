import type pg from 'pg';
import type { ChatConversation } from './types.js';

export interface WrittenConversation {
  conversationId: number;
  inserted: number[];
  skipped: number;
}

/**
 * Writes one conversation into L4 inside the caller's transaction: the conversation is
 * found or created by (source, source_id); turns are inserted in one statement, and turns
 * whose (source, source_id) already exist are left alone, so importing the same history
 * twice adds nothing.
 */
export async function writeConversation(c: pg.ClientBase, source: string, conv: ChatConversation): Promise<WrittenConversation> {
  const created = conv.createdAt ?? conv.turns.find((t) => t.time)?.time ?? new Date();
  const r = await c.query<{ id: string }>(
    `INSERT INTO conversations (title, source, source_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (source, source_id) WHERE source_id IS NOT NULL DO UPDATE SET title = EXCLUDED.title
     RETURNING id`,
    [storable(conv.title).slice(0, 500), source, storable(conv.sourceId), created],
  );
  const conversationId = Number(r.rows[0]!.id);
  // Turns without a time of their own follow the conversation's time in order.
  let last = created.getTime();
  const times = conv.turns.map((t) => (last = t.time ? t.time.getTime() : last + 1));
  const ins = await c.query<{ id: string }>(
    `INSERT INTO turns (conversation_id, role, content, source, source_id, meta, created_at)
     SELECT $1, role, content, $2, source_id, meta, created_at
     FROM unnest($3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[]) AS u(role, content, source_id, meta, created_at)
     ORDER BY created_at, source_id
     ON CONFLICT (source, source_id) WHERE source_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [
      conversationId,
      source,
      conv.turns.map((t) => t.role),
      conv.turns.map((t) => storable(t.text)),
      conv.turns.map((t) => storable(t.sourceId)),
      // JSON writes a NUL as \u0000, which jsonb refuses like text does.
      conv.turns.map((t) => JSON.stringify(t.meta ?? {}, (_k, v: unknown) => (typeof v === 'string' ? storable(v) : v))),
      times.map((ms) => new Date(ms)),
    ],
  );
  await c.query('UPDATE conversations SET updated_at = GREATEST(updated_at, $2) WHERE id = $1', [conversationId, new Date(latest(times))]);
  const inserted = ins.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
  return { conversationId, inserted, skipped: conv.turns.length - inserted.length };
}

/** The largest time (not Math.max(...times): a spread of 150,000 turns overflows the call stack). */
function latest(times: number[]): number {
  let max = -Infinity;
  for (const t of times) if (t > max) max = t;
  return max;
}

/** PostgreSQL text cannot hold NUL: one in an imported message would fail its whole conversation. */
function storable(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '') : s;
}
