-- Cognition refinements on top of 0001 (which is released and never edited).

-- Explicit feedback (helpful / wrong) overrides the classifier's events for the same use:
-- the overridden events stay in the history, flagged, and no longer count.
ALTER TABLE outcome_events ADD COLUMN overridden boolean NOT NULL DEFAULT false;
CREATE INDEX outcome_events_use_idx ON outcome_events (use_id);

-- How many following user turns have looked at an open use (EARL's 5-turn window).
ALTER TABLE memory_uses ADD COLUMN turns_seen integer NOT NULL DEFAULT 0;

-- One queued/running job per dedupe key (e.g. one re-embedding per model).
ALTER TABLE jobs ADD COLUMN dedupe_key text CHECK (char_length(dedupe_key) <= 200);
CREATE UNIQUE INDEX jobs_dedupe_idx ON jobs (dedupe_key) WHERE status IN ('queued', 'running') AND dedupe_key IS NOT NULL;

-- The memory browser lists by recent use and filters pinned.
CREATE INDEX memories_last_used_idx ON memories (last_used_at DESC NULLS LAST);
CREATE INDEX memory_edges_src_kind_idx ON memory_edges (src, kind);

-- The first framework: weights and thresholds as data (see shared/docs/cognition.md).
INSERT INTO frameworks (name, version, params, active) VALUES ('emily', 1, '{
  "ecgl": {"epsilon": 0.35, "outcome": 0.35, "novelty": 0.20, "stability": 0.10},
  "weights": {"similarity": 0.45, "text": 0.20, "ecgl": 0.15, "recency": 0.10, "activation": 0.10},
  "promote": {"confidence": 0.7, "gibberish": 0.5},
  "duplicate": 0.92,
  "linkFloor": 0.35,
  "strongEdge": 0.5,
  "maxLinks": 5,
  "recencyHalfLifeDays": 30,
  "earl": {"window": 5, "alphaOutcome": 0.2, "alphaEpsilon": 0.1, "redirectSimilarity": 0.05},
  "drift": {"warning": 0.10, "critical": 0.20},
  "balance": {"target": 0.30, "low": 0.20, "high": 0.40},
  "retrieval": {"k": 8, "vectorCandidates": 40, "textCandidates": 20, "turnCandidates": 10, "efSearch": 200}
}'::jsonb, true);
