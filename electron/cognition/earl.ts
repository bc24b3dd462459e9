import type pg from 'pg';
import { tokenize } from '../embeddings/hashEmbedder.js';
import { STOPWORDS } from '../embeddings/lexicon.js';
import type { MemorySource } from './extractor.js';
import type { FrameworkParams } from './framework.js';
import { SOURCE_TRUST } from './promotion.js';
import { clamp01 } from './text.js';

/**
 * EARL: outcome-weighted learning. Every reply records the memories in its context (uses);
 * the user's next turns say how that went, explicit feedback overrides, and outcome,
 * epsilon and stability follow each memory's outcome history.
 */
export type Signal = 'continue' | 'correct' | 'redirect' | 'helpful' | 'wrong';
export const SIGNAL_VALUE: Record<Signal, number> = { continue: 1, correct: -1, redirect: -0.5, helpful: 1, wrong: -1 };

const CORRECTING = /^(?:no\b|nope\b|wrong\b|that'?s (?:not|wrong|incorrect)|that is (?:not|wrong|incorrect)|actually\b|not quite\b|you'?re wrong|incorrect\b|i (?:said|meant|never said)\b|that'?s not what)/i;
const ACK = /^(?:ok(?:ay)?|yes|yeah|yep|sure|thanks?|thank you|great|cool|nice|right|exactly|good|perfect|lol|haha|hmm+)\b/i;

/**
 * Rules classifier for the user's turn after a reply. `similarity` is how close the turn
 * is to what the reply drew on (cosine); a long turn about something else is a redirect.
 */
export function classifyFollowUp(text: string, similarity: number, params: FrameworkParams): 'continue' | 'correct' | 'redirect' {
  const t = text.trim();
  if (CORRECTING.test(t)) return 'correct';
  if (ACK.test(t)) return 'continue';
  const content = tokenize(t).filter((w) => !STOPWORDS.has(w));
  if (content.length >= 4 && similarity < params.earl.redirectSimilarity) return 'redirect';
  return 'continue';
}

export interface OpenUse {
  id: number;
  memoryId: number;
  turnId: number;
  turnsSeen: number;
}

export async function openUses(client: pg.ClientBase, conversationId: number, beforeTurnId: number): Promise<OpenUse[]> {
  const r = await client.query<{ id: string; memory_id: string; turn_id: string; turns_seen: number }>(
    `SELECT u.id, u.memory_id, u.turn_id, u.turns_seen FROM memory_uses u JOIN turns t ON t.id = u.turn_id
      WHERE NOT u.resolved AND t.conversation_id = $1 AND u.turn_id < $2 ORDER BY u.id`,
    [conversationId, beforeTurnId],
  );
  return r.rows.map((x) => ({ id: Number(x.id), memoryId: Number(x.memory_id), turnId: Number(x.turn_id), turnsSeen: x.turns_seen }));
}

export interface OutcomeEventInput {
  useId: number | null;
  memoryId: number;
  turnId: number | null;
  signal: Signal;
}

/** Writes outcome events (one statement) and resolves their uses when asked. */
export async function insertEvents(client: pg.ClientBase, events: OutcomeEventInput[]): Promise<void> {
  if (!events.length) return;
  await client.query(
    `INSERT INTO outcome_events (memory_id, use_id, turn_id, signal, value)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::real[])`,
    [events.map((e) => e.memoryId), events.map((e) => e.useId), events.map((e) => e.turnId), events.map((e) => e.signal), events.map((e) => SIGNAL_VALUE[e.signal])],
  );
}

/**
 * Recomputes outcome, epsilon, stability and source trust of the given memories from their
 * (non-overridden) outcome history, in one batched UPDATE. Deterministic: the same history
 * always gives the same metrics, so an override simply changes the history.
 */
export async function recomputeOutcomeMetrics(client: pg.ClientBase, memoryIds: number[], params: FrameworkParams): Promise<void> {
  const ids = [...new Set(memoryIds)];
  if (!ids.length) return;
  const r = await client.query<{ id: string; source: MemorySource; confidence: number; superseded: boolean; sources: number; values: number[] | null }>(
    `SELECT m.id, m.source, m.confidence,
            EXISTS (SELECT 1 FROM memory_edges e WHERE e.dst = m.id AND e.kind = 'supersedes') AS superseded,
            (SELECT count(*)::int FROM memory_sources s WHERE s.memory_id = m.id) AS sources,
            (SELECT array_agg(v.value ORDER BY v.created_at, v.id) FROM (
               SELECT o.value, o.created_at, o.id FROM outcome_events o WHERE o.memory_id = m.id AND NOT o.overridden
                ORDER BY o.created_at DESC, o.id DESC LIMIT 200) v) AS values
       FROM memories m WHERE m.id = ANY($1::bigint[])`,
    [ids],
  );
  const rows = r.rows.map((row) => ({ id: Number(row.id), ...outcomeMetrics(row, params) }));
  await client.query(
    `UPDATE memories m SET outcome = u.outcome, epsilon = u.epsilon, stability = u.stability, source_trust = u.trust, updated_at = now()
       FROM unnest($1::bigint[], $2::real[], $3::real[], $4::real[], $5::real[]) AS u(id, outcome, epsilon, stability, trust)
      WHERE m.id = u.id`,
    [rows.map((x) => x.id), rows.map((x) => x.outcome), rows.map((x) => x.epsilon), rows.map((x) => x.stability), rows.map((x) => x.trust)],
  );
}

export function outcomeMetrics(
  row: { source: MemorySource; confidence: number; superseded: boolean; sources: number; values: number[] | null },
  params: FrameworkParams,
): { outcome: number; epsilon: number; stability: number; trust: number } {
  const values = (row.values ?? []).map(Number);
  const baseTrust = SOURCE_TRUST[row.source] ?? 0.5;
  let outcome = 0.5;
  let epsilon = (0.5 * row.confidence + 0.5 * baseTrust) * (row.superseded ? 0.5 : 1);
  for (const v of values) {
    const target = (v + 1) / 2;
    outcome += params.earl.alphaOutcome * (target - outcome);
    epsilon += params.earl.alphaEpsilon * (target - epsilon);
  }
  // Stability: low variance of recent outcomes, weighted by how many there are, plus re-confirmations.
  const recent = values.slice(-20);
  const mean = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
  const variance = recent.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, recent.length);
  const weight = recent.length / (recent.length + 4);
  const reconfirmed = Math.min(6, Math.max(0, row.sources - 1));
  const stability = clamp01((1 - weight) * 0.3 + weight * (1 - variance) + 0.05 * reconfirmed);
  const trust = clamp01(baseTrust + 0.2 * (outcome - 0.5));
  return { outcome: clamp01(outcome), epsilon: clamp01(epsilon), stability, trust };
}
