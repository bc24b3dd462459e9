import type { Provenance } from './retrieval.js';

/** The 14 metrics of shared/docs/cognition.md (valence in [-1,1], the rest in [0,1]). */
export interface MemoryMetrics {
  epsilon: number;
  source_trust: number;
  gibberish: number;
  outcome: number;
  novelty: number;
  stability: number;
  integration: number;
  confidence: number;
  coherence: number;
  recency: number;
  frequency: number;
  salience: number;
  valence: number;
  specificity: number;
}

export const METRIC_NAMES = [
  'epsilon',
  'source_trust',
  'gibberish',
  'outcome',
  'novelty',
  'stability',
  'integration',
  'confidence',
  'coherence',
  'recency',
  'frequency',
  'salience',
  'valence',
  'specificity',
] as const satisfies readonly (keyof MemoryMetrics)[];

export interface MemorySummary {
  tier: 'L3';
  id: number;
  content: string;
  kind: string;
  source: string;
  pinned: boolean;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  useCount: number;
  metrics: MemoryMetrics;
  ecgl: number;
}

export interface TurnSummary {
  tier: 'L4';
  id: number;
  conversationId: number;
  role: string;
  content: string;
  source: string;
  sourceId: string | null;
  createdAt: string;
  consolidated: boolean;
}

export interface OutcomeEvent {
  id: number;
  signal: string;
  value: number;
  overridden: boolean;
  turnId: number | null;
  createdAt: string;
}

export interface MemoryEdge {
  direction: 'out' | 'in';
  kind: 'related' | 'supports' | 'contradicts' | 'supersedes';
  weight: number;
  other: { id: number; content: string; archived: boolean };
}

export interface MemoryDetail extends MemorySummary {
  outcomes: OutcomeEvent[];
  edges: MemoryEdge[];
  provenance: Provenance[];
  embeddings: { model: string; dimensions: number; createdAt: string }[];
}

export interface TierBalance {
  l3: number;
  l4: number;
  /** L3 / (L3 + L4). */
  l3Share: number;
  band: { low: number; target: number; high: number };
  state: 'under-integrating' | 'balanced' | 'over-remembering' | 'empty';
}
