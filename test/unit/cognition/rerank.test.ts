import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAMEWORK } from '../../../electron/cognition/framework.js';
import { rerank } from '../../../electron/cognition/retrieval.js';
import type { CandidateRow } from '../../../electron/cognition/retrievalSql.js';

const NOW = Date.UTC(2026, 0, 1);

function row(i: number, tier: 'L3' | 'L4' = 'L3'): CandidateRow {
  return {
    tier,
    id: String(i),
    content: `memory ${i}`,
    kind: tier === 'L3' ? 'fact' : null,
    pinned: tier === 'L3' ? false : null,
    created_at: NOW - i * 3_600_000,
    last_used_at: null,
    epsilon: tier === 'L3' ? 0.5 : null,
    outcome: tier === 'L3' ? 0.5 : null,
    novelty: tier === 'L3' ? 1 : null,
    stability: tier === 'L3' ? 0.3 : null,
    sim: ((i * 37) % 100) / 100,
    text_rank: (i % 7) / 10,
    turn_rank: 0,
    hop_weight: null,
    by_vector: true,
    by_text: false,
    by_turn: false,
    conversation_id: tier === 'L4' ? '1' : null,
    role: tier === 'L4' ? 'user' : null,
    source: 'chat',
    source_id: null,
  };
}

describe('rerank', () => {
  const rows = Array.from({ length: 120 }, (_, i) => row(i + 1, i % 5 === 0 ? 'L4' : 'L3'));
  const params = DEFAULT_FRAMEWORK.params;

  it('with k, answers exactly the first k of the whole ranking', () => {
    const all = rerank(rows, params, undefined, { now: NOW });
    expect(all).toHaveLength(120);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score > all[i]!.score || (all[i - 1]!.score === all[i]!.score && all[i - 1]!.id < all[i]!.id)).toBe(true);
    expect(rerank(rows, params, undefined, { now: NOW, k: 8 })).toEqual(all.slice(0, 8));
  });

  it('leaves L4 turns out when asked, still scoring text against the best match of all candidates', () => {
    const withTurns = rerank(rows, params, undefined, { now: NOW });
    const memories = rerank(rows, params, undefined, { now: NOW, k: 10, memoriesOnly: true });
    expect(memories.every((r) => r.tier === 'L3')).toBe(true);
    expect(memories).toEqual(withTurns.filter((r) => r.tier === 'L3').slice(0, 10));
  });
});
