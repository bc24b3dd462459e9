import type pg from 'pg';
import { EmilyError } from '../core/errors.js';
import type { EmbeddingModel } from '../embeddings/registry.js';
import { classifyFollowUp, insertEvents, openUses, recomputeOutcomeMetrics, type OutcomeEventInput, type Signal } from './earl.js';
import type { FrameworkParams } from './framework.js';
import type { Reaction } from './modelReader.js';
import { modelSql } from './vectors.js';

export interface FollowUpResult {
  signal: Signal | null;
  events: number;
  resolved: number;
}

/**
 * Called with each new user turn (inside the learning transaction): classifies it against
 * the open uses of this conversation's recent replies (5-turn window).
 * The reply right before it gets the signal; an older reply inside the window only takes
 * a later correction when the correction is about one of its memories.
 */
export async function processFollowUp(
  client: pg.ClientBase,
  a: { conversationId: number; userTurnId: number; userText: string; userVector: string | null; model: EmbeddingModel | null; params: FrameworkParams; reaction?: Reaction },
): Promise<FollowUpResult> {
  const uses = await openUses(client, a.conversationId, a.userTurnId);
  if (!uses.length) return { signal: null, events: 0, resolved: 0 };
  const sims = new Map<number, number>();
  if (a.userVector && a.model) {
    const { cast, where } = modelSql(a.model);
    const r = await client.query<{ memory_id: string; sim: number }>(
      `SELECT memory_id, 1 - (embedding::${cast} <=> $1::${cast}) AS sim FROM memory_embeddings WHERE ${where} AND memory_id = ANY($2::bigint[])`,
      [a.userVector, uses.map((u) => u.memoryId)],
    );
    for (const row of r.rows) sims.set(Number(row.memory_id), Number(row.sim));
  }
  const latest = Math.max(...uses.map((u) => u.turnId));
  const latestUses = uses.filter((u) => u.turnId === latest && u.turnsSeen === 0);
  const similarity = Math.max(0, ...latestUses.map((u) => sims.get(u.memoryId) ?? (a.userVector ? 0 : 1)));
  // The language model's reading of the turn, when there is one, takes the rules' place.
  const signal = a.reaction ?? classifyFollowUp(a.userText, latestUses.length ? similarity : 1, a.params);
  const events: OutcomeEventInput[] = [];
  const resolve: number[] = [];
  const overrideUses: number[] = [];
  for (const u of uses) {
    if (u.turnId === latest && u.turnsSeen === 0) {
      events.push({ useId: u.id, memoryId: u.memoryId, turnId: a.userTurnId, signal });
      if (signal !== 'continue') resolve.push(u.id);
    } else if (signal === 'correct' && (sims.get(u.memoryId) ?? 0) >= a.params.linkFloor) {
      overrideUses.push(u.id);
      events.push({ useId: u.id, memoryId: u.memoryId, turnId: a.userTurnId, signal });
      resolve.push(u.id);
    }
  }
  if (overrideUses.length) await client.query('UPDATE outcome_events SET overridden = true WHERE use_id = ANY($1::bigint[]) AND NOT overridden', [overrideUses]);
  await insertEvents(client, events);
  const upd = await client.query<{ resolved: boolean }>(
    `UPDATE memory_uses SET turns_seen = turns_seen + 1, resolved = (id = ANY($2::bigint[]) OR turns_seen + 1 >= $3)
      WHERE id = ANY($1::bigint[]) RETURNING resolved`,
    [uses.map((u) => u.id), resolve, a.params.earl.window],
  );
  await recomputeOutcomeMetrics(client, events.map((e) => e.memoryId), a.params);
  return { signal, events: events.length, resolved: upd.rows.filter((r) => r.resolved).length };
}

export type Feedback = 'helpful' | 'wrong';

/**
 * Explicit feedback on a reply: overrides whatever the classifier concluded for the
 * memories that reply used (their earlier events stay in the history, flagged overridden).
 */
export async function applyFeedback(client: pg.ClientBase, turnId: number, feedback: Feedback, params: FrameworkParams): Promise<{ memoryIds: number[] }> {
  const t = await client.query<{ role: string }>('SELECT role FROM turns WHERE id = $1', [turnId]);
  if (!t.rows[0]) throw new EmilyError('NOT_FOUND', `there is no turn ${turnId}; give the id of one of Emily's replies`);
  if (t.rows[0].role !== 'assistant') throw new EmilyError('BAD_INPUT', `turn ${turnId} is not one of Emily's replies; feedback goes on her replies`);
  const uses = await client.query<{ id: string; memory_id: string }>('SELECT id, memory_id FROM memory_uses WHERE turn_id = $1', [turnId]);
  const useIds = uses.rows.map((u) => Number(u.id));
  if (!useIds.length) return { memoryIds: [] };
  await client.query('UPDATE outcome_events SET overridden = true WHERE use_id = ANY($1::bigint[]) AND NOT overridden', [useIds]);
  const events = uses.rows.map((u) => ({ useId: Number(u.id), memoryId: Number(u.memory_id), turnId, signal: feedback as Signal }));
  await insertEvents(client, events);
  await client.query('UPDATE memory_uses SET resolved = true WHERE id = ANY($1::bigint[])', [useIds]);
  const memoryIds = [...new Set(events.map((e) => e.memoryId))];
  await recomputeOutcomeMetrics(client, memoryIds, params);
  return { memoryIds };
}
