import type pg from 'pg';
import type { EmbeddingModel } from '../embeddings/registry.js';
import { slotOf, type Candidate, type MemorySource } from './extractor.js';
import type { FrameworkParams } from './framework.js';
import { refreshGraphMetrics } from './graphMetrics.js';
import { gibberish, opposed, salience, specificity, valence } from './signals.js';
import { clamp01 } from './text.js';
import { nearest, storeEmbedding, vectorParam } from './vectors.js';

export type EdgeKind = 'related' | 'supports' | 'contradicts' | 'supersedes';

export interface CandidateDecision {
  content: string;
  kind: Candidate['kind'];
  confidence: number;
  gibberish: number;
  decision: 'promoted' | 'reinforced' | 'rejected';
  /** Why it was rejected, or which memory it reinforced. */
  reason?: string;
  memoryId?: number;
  edges: { dst: number; kind: EdgeKind; weight: number }[];
}

export const SOURCE_TRUST: Record<MemorySource, number> = { 'user-stated': 0.9, system: 0.8, imported: 0.7, inferred: 0.5 };

export interface PromoteInput {
  model: EmbeddingModel;
  params: FrameworkParams;
  items: { candidate: Candidate; vector: ArrayLike<number> }[];
  /** Provenance: the L4 turns the candidates came from. */
  turnIds: number[];
  source: MemorySource;
}

/**
 * Steps 3–6 of the learning cycle, inside the caller's transaction: promote, collapse
 * near-duplicates, link, record corrections as edges, refresh the touched metrics.
 */
export async function promoteCandidates(client: pg.ClientBase, input: PromoteInput): Promise<CandidateDecision[]> {
  const { params, model } = input;
  const decisions: CandidateDecision[] = [];
  const touched = new Set<number>();
  for (const { candidate, vector } of input.items) {
    const gib = gibberish(candidate.content);
    const base = { content: candidate.content, kind: candidate.kind, confidence: Math.round(candidate.confidence * 10000) / 10000, gibberish: Math.round(gib * 10000) / 10000, edges: [] as CandidateDecision['edges'] };
    if (candidate.confidence < params.promote.confidence) {
      decisions.push({ ...base, decision: 'rejected', reason: `confidence ${candidate.confidence.toFixed(2)} < ${params.promote.confidence}` });
      continue;
    }
    if (gib >= params.promote.gibberish) {
      decisions.push({ ...base, decision: 'rejected', reason: `gibberish ${gib.toFixed(2)} ≥ ${params.promote.gibberish}` });
      continue;
    }
    const vec = vectorParam(model, vector, 'the embedding of a memory candidate');
    const near = await nearest(client, model, vec, Math.max(8, params.maxLinks + 3));
    const top = near[0];
    // A correction, another value of the same slot or the opposite statement is never
    // folded into what it contradicts, however alike the words (that would be a silent overwrite).
    if (top && top.sim >= params.duplicate && !differsFrom(candidate, top.content)) {
      await reinforce(client, top.id, candidate.confidence, input.turnIds);
      touched.add(top.id);
      decisions.push({ ...base, decision: 'reinforced', reason: `near-duplicate of memory ${top.id} (cosine ${top.sim.toFixed(3)})`, memoryId: top.id });
      continue;
    }
    const edges = chooseEdges(candidate, near, params);
    // Novelty is measured against what it does not replace: a correction is new information
    // even when it repeats most of the words of the memory it supersedes.
    const replaced = new Set(edges.filter((e) => e.kind !== 'related' && e.kind !== 'supports').map((e) => e.dst));
    const nearestKept = near.find((n) => !replaced.has(n.id));
    const trust = SOURCE_TRUST[input.source];
    const personal = /\b(i|my|me|mine|i'm)\b/i.test(candidate.content);
    const ins = await client.query<{ id: string }>(
      `INSERT INTO memories (content, kind, source, epsilon, source_trust, gibberish, novelty, confidence, salience, valence, specificity, stability, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0.3, 0.5) RETURNING id`,
      [
        candidate.content,
        candidate.kind,
        input.source,
        clamp01(0.5 * candidate.confidence + 0.5 * trust),
        trust,
        gib,
        clamp01(1 - Math.max(0, nearestKept?.sim ?? 0)),
        clamp01(candidate.confidence),
        salience(candidate.content, { explicit: candidate.explicit, personal }),
        valence(candidate.content),
        specificity(candidate.content),
      ],
    );
    const id = Number(ins.rows[0]!.id);
    touched.add(id);
    await storeEmbedding(client, model, id, vec);
    await addSources(client, id, input.turnIds);
    for (const e of edges) {
      await client.query(
        'INSERT INTO memory_edges (src, dst, kind, weight) VALUES ($1, $2, $3, $4) ON CONFLICT (src, dst, kind) DO UPDATE SET weight = greatest(memory_edges.weight, EXCLUDED.weight)',
        [id, e.dst, e.kind, e.weight],
      );
      touched.add(e.dst);
      // A superseded memory stays (never a silent overwrite) but Emily trusts it less.
      if (e.kind === 'supersedes') await client.query('UPDATE memories SET epsilon = epsilon * 0.5, updated_at = now() WHERE id = $1', [e.dst]);
    }
    decisions.push({ ...base, decision: 'promoted', memoryId: id, edges });
  }
  await refreshGraphMetrics(client, [...touched]);
  return decisions;
}

const normalised = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** The candidate says something other than the stored statement, not the same thing again. */
function differsFrom(candidate: Candidate, stored: string): boolean {
  if (normalised(candidate.content) === normalised(stored)) return false;
  if (candidate.correction) return true;
  if (candidate.slot && slotOf(stored) === candidate.slot) return true;
  return opposed(candidate.content, stored);
}

function chooseEdges(candidate: Candidate, near: { id: number; sim: number; content: string }[], params: FrameworkParams): CandidateDecision['edges'] {
  const edges: CandidateDecision['edges'] = [];
  const used = new Set<number>();
  const w = (sim: number) => Math.round(clamp01(Math.max(0.5, sim)) * 1000) / 1000;
  if (candidate.slot) {
    for (const n of near) {
      if (slotOf(n.content) === candidate.slot) {
        edges.push({ dst: n.id, kind: candidate.correction ? 'supersedes' : 'contradicts', weight: w(n.sim) });
        used.add(n.id);
      }
    }
  } else if (candidate.correction && near[0] && near[0].sim >= params.strongEdge) {
    edges.push({ dst: near[0].id, kind: 'supersedes', weight: w(near[0].sim) });
    used.add(near[0].id);
  }
  // The opposite of a close statement contradicts it (both stay, each trusted less).
  for (const n of near) {
    if (used.has(n.id) || n.sim < params.strongEdge || !opposed(candidate.content, n.content)) continue;
    edges.push({ dst: n.id, kind: candidate.correction ? 'supersedes' : 'contradicts', weight: w(n.sim) });
    used.add(n.id);
  }
  for (const n of near) {
    if (edges.length >= params.maxLinks) break;
    if (used.has(n.id) || n.sim < params.linkFloor) continue;
    edges.push({ dst: n.id, kind: 'related', weight: Math.round(clamp01(n.sim) * 1000) / 1000 });
  }
  return edges;
}

async function reinforce(client: pg.ClientBase, id: number, confidence: number, turnIds: number[]): Promise<void> {
  await client.query(
    `UPDATE memories SET use_count = use_count + 1, stability = least(1, stability + 0.1 * (1 - stability)),
            confidence = greatest(confidence, $2), last_used_at = now(), recency = 1, updated_at = now(),
            frequency = least(1, ln(use_count + 2) / ln(100))
      WHERE id = $1`,
    [id, clamp01(confidence)],
  );
  await addSources(client, id, turnIds);
}

async function addSources(client: pg.ClientBase, memoryId: number, turnIds: number[]): Promise<void> {
  if (!turnIds.length) return;
  await client.query('INSERT INTO memory_sources (memory_id, turn_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING', [memoryId, turnIds]);
}
