import type pg from 'pg';
import { positiveId } from '../cognition/text.js';
import { EmilyError } from '../core/errors.js';

export interface ConversationSummary {
  id: number;
  title: string;
  source: string;
  createdAt: Date;
  updatedAt: Date;
  turns: number;
  lastText: string | null;
}

export interface TurnRecord {
  id: number;
  conversationId: number;
  role: 'user' | 'assistant' | 'system';
  content: string;
  source: string;
  sourceId: string | null;
  cut: boolean;
  meta: Record<string, unknown>;
  createdAt: Date;
}

export function assertConversationId(id: unknown): number {
  return positiveId(id, 'a conversation id');
}

export function cleanTitle(title: unknown): string {
  if (typeof title !== 'string') throw new EmilyError('BAD_INPUT', 'a title is required');
  // eslint-disable-next-line no-control-regex
  const t = title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!t) throw new EmilyError('BAD_INPUT', 'a title cannot be empty');
  return [...t].slice(0, 200).join('');
}

export async function createConversation(c: pg.ClientBase, title = 'New conversation'): Promise<number> {
  const r = await c.query<{ id: string }>('INSERT INTO conversations (title) VALUES ($1) RETURNING id', [cleanTitle(title)]);
  return Number(r.rows[0]!.id);
}

export async function listConversations(c: pg.ClientBase, opts: { limit?: number } = {}): Promise<ConversationSummary[]> {
  const r = await c.query(
    `SELECT c.id, c.title, c.source, c.created_at, c.updated_at,
            (SELECT count(*)::int FROM turns t WHERE t.conversation_id = c.id) AS turns,
            (SELECT left(t.content, 200) FROM turns t WHERE t.conversation_id = c.id ORDER BY t.id DESC LIMIT 1) AS last_text
       FROM conversations c ORDER BY c.updated_at DESC, c.id DESC LIMIT $1`,
    [Math.min(Math.max(opts.limit ?? 200, 1), 1000)],
  );
  return r.rows.map((row) => ({
    id: Number(row.id),
    title: row.title,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    turns: row.turns,
    lastText: row.last_text,
  }));
}

export async function getTurns(c: pg.ClientBase, conversationId: unknown, opts: { limit?: number; beforeId?: number } = {}): Promise<TurnRecord[]> {
  const id = assertConversationId(conversationId);
  const exists = await c.query('SELECT 1 FROM conversations WHERE id = $1', [id]);
  if (exists.rowCount === 0) throw new EmilyError('NOT_FOUND', `conversation ${id} does not exist (it may have been deleted)`);
  const r = await c.query(
    `SELECT * FROM (SELECT id, conversation_id, role, content, source, source_id, cut, meta, created_at FROM turns
       WHERE conversation_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3) t ORDER BY id`,
    [id, opts.beforeId ?? null, Math.min(Math.max(opts.limit ?? 500, 1), 5000)],
  );
  return r.rows.map(toTurn);
}

export function toTurn(row: Record<string, unknown>): TurnRecord {
  return {
    id: Number(row.id),
    conversationId: Number(row.conversation_id),
    role: row.role as TurnRecord['role'],
    content: row.content as string,
    source: row.source as string,
    sourceId: (row.source_id as string | null) ?? null,
    cut: row.cut as boolean,
    meta: (row.meta as Record<string, unknown>) ?? {},
    createdAt: row.created_at as Date,
  };
}

export async function renameConversation(c: pg.ClientBase, conversationId: unknown, title: unknown): Promise<void> {
  const r = await c.query('UPDATE conversations SET title = $2, updated_at = now() WHERE id = $1', [assertConversationId(conversationId), cleanTitle(title)]);
  if (r.rowCount === 0) throw new EmilyError('NOT_FOUND', `conversation ${String(conversationId)} does not exist`);
}

/**
 * Deletes a conversation and its L4 turns. Memories learned from it stay (they lose that
 * provenance) unless forgetMemories: then memories whose every source turn was in this
 * conversation go too. Run inside a transaction.
 */
export async function deleteConversation(c: pg.ClientBase, conversationId: unknown, opts: { forgetMemories?: boolean } = {}): Promise<{ turns: number; memories: number }> {
  const id = assertConversationId(conversationId);
  let memories = 0;
  if (opts.forgetMemories) {
    const r = await c.query(
      `DELETE FROM memories m WHERE EXISTS (SELECT 1 FROM memory_sources s JOIN turns t ON t.id = s.turn_id WHERE s.memory_id = m.id AND t.conversation_id = $1)
         AND NOT EXISTS (SELECT 1 FROM memory_sources s JOIN turns t ON t.id = s.turn_id WHERE s.memory_id = m.id AND t.conversation_id <> $1)`,
      [id],
    );
    memories = r.rowCount ?? 0;
  }
  const turns = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM turns WHERE conversation_id = $1', [id]);
  const del = await c.query('DELETE FROM conversations WHERE id = $1', [id]);
  if (del.rowCount === 0) throw new EmilyError('NOT_FOUND', `conversation ${id} does not exist`);
  return { turns: turns.rows[0]!.n, memories };
}
