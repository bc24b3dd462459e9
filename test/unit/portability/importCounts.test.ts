import { describe, expect, it } from 'vitest';
import { importCounts } from '../../../electron/api/adapters/portabilityService.js';

describe('what an import reports to the app', () => {
  it('names what a person knows (messages, memories), adds up the vectors and leaves the supporting tables out', () => {
    const counts = importCounts({
      rows: { conversations: 2, turns: 40, memories: 12, memory_edges: 7, memory_sources: 15, outcome_events: 0, memory_embeddings: 12, turn_embeddings: 40, frameworks: 1, jobs: 3, settings: 1 },
      droppedVectors: 0,
    });
    expect(counts).toEqual({ conversations: 2, messages: 40, memories: 12, 'links between memories': 7, vectors: 52 });
  });

  it('always says how many memories and messages came, even none, and which vectors were left out', () => {
    const counts = importCounts({ rows: { frameworks: 1 }, droppedVectors: 5 });
    expect(counts).toEqual({ messages: 0, memories: 0, 'vectors of the wrong size, left out (re-embedded in the background for the model in use)': 5 });
  });
});
