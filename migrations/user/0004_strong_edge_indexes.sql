-- Retrieval's one hop follows only strong 'related' and 'supports' edges (weight >= the
-- framework's strongEdge, 0.5 by default), from 60 to 80 seeds a query. Through the general
-- edge indexes it read every edge of each seed and threw four in five away, and then visited
-- the table for the rest. These partial indexes hold only the edges it follows, with what it
-- reads, so it answers from the index alone (about half its time in `emily bench retrieval`).
-- A framework with a lower threshold than 0.5 falls back to the general indexes.
CREATE INDEX memory_edges_strong_src_idx ON memory_edges (src) INCLUDE (dst, weight) WHERE kind IN ('related', 'supports') AND weight >= 0.5;
CREATE INDEX memory_edges_strong_dst_idx ON memory_edges (dst) INCLUDE (src, weight) WHERE kind IN ('related', 'supports') AND weight >= 0.5;
