-- L4 turns are scored on their vector's similarity from this version on. A profile that
-- already has turns gets one re-embedding job for the model it uses now; the job fills the
-- turns without a vector (and any memory that lacks one) in the background.
INSERT INTO jobs (kind, payload, dedupe_key)
SELECT 'reembed', '{"current": true}'::jsonb, 'reembed:current'
 WHERE EXISTS (SELECT 1 FROM turns WHERE content <> '')
ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') AND dedupe_key IS NOT NULL DO NOTHING;
