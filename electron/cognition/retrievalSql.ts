import type pg from 'pg';
import { hnswBuildFor, hnswIndexName, type EmbeddingModel } from '../embeddings/registry.js';
import type { FrameworkParams } from './framework.js';
import { LATEST_TURN_MATCHES, noteTurnCount, walkNewestTurnsIn } from './turnWordStats.js';
import { modelSql } from './vectors.js';

export interface CandidateRow {
  tier: 'L3' | 'L4';
  id: string;
  content: string;
  kind: string | null;
  pinned: boolean | null;
  /** Epoch milliseconds: parsing ~200 timestamps per call into Dates cost about half a millisecond. */
  created_at: number;
  last_used_at: number | null;
  epsilon: number | null;
  outcome: number | null;
  novelty: number | null;
  stability: number | null;
  sim: number | null;
  text_rank: number;
  turn_rank: number;
  hop_weight: number | null;
  by_vector: boolean;
  by_text: boolean;
  by_turn: boolean;
  conversation_id: string | null;
  role: string | null;
  source: string | null;
  source_id: string | null;
}

/**
 * Full-text candidates on L3 without ranking every match. ts_rank (no weights, no length
 * normalisation) scores a memory by its matched query words and how often each occurs: any
 * memory holding two of the words scores above any memory holding one, however often (for
 * a three-word query: 0.039 for two words once, 0.032 for one word 200 times, and a
 * tsvector keeps at most 256 positions a word). So the memories holding two or more
 * words are found first, through the index, and ranked (the first SEVERAL_WORD_MATCHES of
 * them: past that the top ones are no longer exact; and of a query of more than PAIRED_WORDS
 * words, see pairQuery); only if they are too few are memories
 * holding one word added, the newest ONE_WORD_MATCHES of them (reading them costs little;
 * ranking them all cost a lot). Ties go to the newer memory.
 * Before, a common word had every memory holding it ranked (2,100 of 16,000 for "how did I
 * feel about the family dinner?"), about a third of its retrieval, to order memories that
 * mostly tie.
 */
const SEVERAL_WORD_MATCHES = 400;
const ONE_WORD_MATCHES = 200;
/** See pairQuery. */
const PAIRED_WORDS = 8;

/**
 * The database side of retrieval: the settings, then one statement with HNSW candidates on
 * L3 for the model, full-text candidates on L3, the newest full-text matches on L4 and the
 * memories they fed (they are lifted by them), one hop along strong edges, and for every
 * candidate what the reranker needs. L4 matches that no memory came from are returned as
 * L4 results. (The L4 matches were a statement of their own, planned per call to choose how
 * to read them: its parsing and planning cost about 0.4 ms, and the planner chose the
 * slower way for words in 2–4 % of turns.)
 */
export async function fetchCandidates(
  client: pg.ClientBase,
  a: {
    model: EmbeddingModel | null;
    vector: string | null;
    words: string[];
    params: FrameworkParams;
    /** How to read the newest L4 matches; by default as turnWordStats expects cheaper (tests compare the two). */
    turnsBy?: 'walk' | 'index';
  },
): Promise<CandidateRow[]> {
  const r = a.params.retrieval;
  // Limits and thresholds are framework data (numbers), written into the statement so that
  // its one cached generic plan is as good as a custom one: only the query varies per call.
  const lim = {
    vec: int(r.vectorCandidates),
    txt: int(r.textCandidates),
    l4: int(r.turnCandidates),
    edge: Number.isFinite(a.params.strongEdge) ? a.params.strongEdge : 1,
  };
  const ms = a.model && a.vector ? modelSql(a.model) : null;
  // The HNSW walk compares halfvecs; its candidates are scored at full precision. The query's
  // halfvec is made once (a sub-select): written inline it was converted again for every row.
  const vec = ms
    ? `SELECT e.memory_id AS id, 1 - (e.embedding::${ms.full} <=> $1::${ms.full}) AS sim FROM memory_embeddings e
        WHERE e.${ms.where} ORDER BY e.embedding::${ms.cast} <=> (SELECT $1::${ms.cast}) LIMIT ${lim.vec}`
    : 'SELECT NULL::bigint AS id, NULL::float8 AS sim WHERE $1::text IS NULL';
  // A sub-select inside coalesce runs only for candidates the HNSW walk did not bring (a join
  // read the vector of every candidate, a third of them for nothing).
  const simOf = ms ? `(SELECT 1 - (e.embedding::${ms.full} <=> $1::${ms.full}) FROM memory_embeddings e WHERE e.memory_id = m.id AND e.${ms.where})` : 'NULL::float8';
  const turnSim = ms ? `1 - (te.embedding::${ms.full} <=> $1::${ms.full})` : 'NULL::float8';
  // A vector of another size (a hand-edited dump) would fail the cast for every query that finds its turn.
  const turnJoin = ms && a.model ? `LEFT JOIN turn_embeddings te ON te.turn_id = tt.id AND te.${ms.where} AND vector_dims(te.embedding) = ${a.model.dimensions}` : '';
  // Every candidate's own text match, not only the top full-text ones': a memory found by its
  // vector (or an edge) that also holds the query's words must not score a text match of 0.
  const ownText = "CASE WHEN m.tsv @@ (SELECT to_tsquery('simple', $2)) THEN ts_rank(m.tsv, (SELECT to_tsquery('simple', $2)), 32) ELSE 0 END";
  const sql = `
    WITH vec AS MATERIALIZED (${vec}),
    -- (SELECT to_tsquery(…)) is computed once; a bare to_tsquery($2) in a generic plan is parsed again for every row.
    -- The memories that hold two or more of the query's words outrank every memory that holds
    -- one (see SEVERAL_WORD_MATCHES), and the index finds them without reading the others.
    several AS MATERIALIZED (
      SELECT m.id, m.tsv FROM memories m WHERE m.tsv @@ (SELECT to_tsquery('simple', $3)) AND NOT m.archived LIMIT ${SEVERAL_WORD_MATCHES}),
    txt AS MATERIALIZED (
      SELECT id, max(rank) AS rank FROM (
        SELECT c.id, ts_rank(c.tsv, (SELECT to_tsquery('simple', $2)), 32) AS rank FROM (
          SELECT id, tsv FROM several
          UNION ALL
          -- The newest one-word matches: the fence (OFFSET 0) keeps the index on the words, not a
          -- walk down the ids, which would read the whole table for a rare word.
          (SELECT f.id, f.tsv FROM (
             SELECT m.id, m.tsv FROM memories m
              WHERE (SELECT count(*) FROM several) < ${lim.txt} AND $2::text IS NOT NULL AND m.tsv @@ (SELECT to_tsquery('simple', $2)) AND NOT m.archived
             OFFSET 0) f
            ORDER BY f.id DESC LIMIT ${ONE_WORD_MATCHES})) c) ranked
      GROUP BY id ORDER BY rank DESC, id DESC LIMIT ${lim.txt}),
    -- L4 is the firehose: a common word matches thousands of turns, so only the newest
    -- matches are ranked. They are read one of two ways, and $4 says which (see
    -- turnWordStats): walking the turns newest first (the IS TRUE keeps the planner off the
    -- full-text index) or reading every match through the index. The other way's branch is
    -- a one-time filter that is never run.
    l4 AS MATERIALIZED (
      SELECT id, ts_rank(tsv, (SELECT to_tsquery('simple', $2)), 32)::float8 AS rank FROM (
        SELECT id, tsv FROM (
          SELECT id, tsv FROM turns WHERE $4::boolean AND (tsv @@ (SELECT to_tsquery('simple', $2))) IS TRUE ORDER BY id DESC LIMIT ${LATEST_TURN_MATCHES}) walked
        UNION ALL
        SELECT id, tsv FROM (
          SELECT f.id, f.tsv FROM (SELECT id, tsv FROM turns WHERE NOT $4::boolean AND tsv @@ (SELECT to_tsquery('simple', $2)) OFFSET 0) f
           ORDER BY f.id DESC LIMIT ${LATEST_TURN_MATCHES}) indexed) latest
       ORDER BY rank DESC, id DESC LIMIT ${lim.l4}),
    -- A turn lifts each live memory it fed by its rank shared among them: a pasted list that
    -- fed 50 memories says little about any one of them, a sentence that fed one says a lot.
    -- (Archived ones, such as the old text of an edited memory, do not take a share.)
    via4 AS MATERIALIZED (
      SELECT id, max(rank) AS rank FROM (
        SELECT s.memory_id AS id, l4.rank / count(*) OVER (PARTITION BY l4.id) AS rank
          FROM l4 JOIN memory_sources s ON s.turn_id = l4.id JOIN memories fm ON fm.id = s.memory_id AND NOT fm.archived) fed
      GROUP BY id),
    seeds AS MATERIALIZED (SELECT id FROM vec UNION SELECT id FROM txt UNION SELECT id FROM via4),
    hop AS MATERIALIZED (
      SELECT id, max(w) AS w FROM (
        SELECT e.dst AS id, e.weight AS w FROM memory_edges e WHERE e.src = ANY (ARRAY(SELECT id FROM seeds)) AND e.weight >= ${lim.edge} AND e.kind IN ('related', 'supports')
        UNION ALL
        SELECT e.src, e.weight FROM memory_edges e WHERE e.dst = ANY (ARRAY(SELECT id FROM seeds)) AND e.weight >= ${lim.edge} AND e.kind IN ('related', 'supports')) h
      GROUP BY id),
    cand AS (SELECT id FROM seeds UNION SELECT id FROM hop),
    -- L4 matches that fed no memory (those that did lift their memories instead).
    l4own AS MATERIALIZED (SELECT l4.id, l4.rank FROM l4 WHERE NOT EXISTS (SELECT 1 FROM memory_sources s WHERE s.turn_id = l4.id))
    SELECT 'L3' AS tier, m.id, m.content, m.kind, m.pinned, ${epochMs('m.created_at')} AS created_at, ${epochMs('m.last_used_at')} AS last_used_at, m.epsilon, m.outcome, m.novelty, m.stability,
           coalesce(v.sim, ${simOf}) AS sim, coalesce(t.rank, ${ownText}) AS text_rank, coalesce(v4.rank, 0) AS turn_rank, hop.w AS hop_weight,
           v.id IS NOT NULL AS by_vector, t.id IS NOT NULL AS by_text, v4.id IS NOT NULL AS by_turn,
           NULL::bigint AS conversation_id, NULL::text AS role, m.source, NULL::text AS source_id
      FROM cand c JOIN memories m ON m.id = c.id AND NOT m.archived
      LEFT JOIN vec v ON v.id = m.id LEFT JOIN txt t ON t.id = m.id LEFT JOIN via4 v4 ON v4.id = m.id LEFT JOIN hop ON hop.id = m.id
    UNION ALL
    SELECT 'L4', tt.id, left(tt.content, 1000), NULL, NULL, ${epochMs('tt.created_at')}, NULL, NULL, NULL, NULL, NULL,
           ${turnSim}, l4.rank, 0, NULL, false, true, false, tt.conversation_id, tt.role, tt.source, tt.source_id
      FROM l4own l4 JOIN turns tt ON tt.id = l4.id ${turnJoin}`;
  const walk = a.turnsBy ? a.turnsBy === 'walk' : await walkNewestTurnsIn(client, safeWords(a.words));
  const name = `emily.retrieve.${a.model && a.vector ? `${a.model.idx}.${a.model.dimensions}` : 'text'}.${lim.vec}.${lim.txt}.${lim.l4}.${lim.edge}`;
  const main = { name, text: sql, values: [a.vector, orQuery(a.words), pairQuery(a.words), walk] };
  const settings = settle(client, searchWidths(a.model && a.vector ? a.model : null, r));
  if (!(client as Partial<pg.Client>).pipeline) await settings;
  // On a pipelined connection both are sent in one write; the server runs them in order.
  // Both answers are awaited before either failure is thrown: the connection must not go
  // back to its pool with the statement still running.
  const [set, res] = await Promise.allSettled([settings, client.query<CandidateRow>(main)]);
  if (set.status === 'rejected') throw set.reason;
  if (res.status === 'rejected') throw res.reason;
  return res.value.rows;
}

/**
 * The settings the main statement is planned and run under. They last until the end of the
 * caller's transaction. Retrieval is index-driven by design (HNSW, GIN, edge keys): on a
 * small table the planner may prefer a sequential scan that costs far more once tsvectors
 * are read. Planning the main statement costs about a third of running it, so it is a named
 * statement with a forced generic plan: each connection plans it once per model and
 * framework. Its joins are written in the order they should run, so the planner is told not
 * to search for another (join_collapse_limit 1): on a new connection, which is most requests
 * in server mode, that search was a sixth of the statement's planning, and it found the
 * written order anyway.
 */
async function settle(client: pg.ClientBase, ef: SearchWidths): Promise<void> {
  const r = await client.query<{ turns: number | null; table: string | null }>({
    name: 'emily.retrieve.settings',
    text: `SELECT set_config('hnsw.ef_search', CASE WHEN ix.reloptions @> $3::text[] THEN $2 ELSE $1 END, true), set_config('enable_seqscan', 'off', true),
                  set_config('plan_cache_mode', 'force_generic_plan', true), set_config('join_collapse_limit', '1', true), set_config('from_collapse_limit', '1', true),
                  c.reltuples::float8 AS turns, c.oid::text AS table
             FROM (SELECT to_regclass('turns') AS t, to_regclass($4) AS ix) r LEFT JOIN pg_class c ON c.oid = r.t LEFT JOIN pg_class ix ON ix.oid = r.ix`,
    values: [ef.reference, ef.build, ef.buildOptions, ef.index],
  });
  // Read here for the next retrieval's choice of how to read the newest turns (turnWordStats).
  noteTurnCount(client, { turns: Number(r.rows[0]?.turns ?? 0), table: r.rows[0]?.table ?? '' });
}

interface SearchWidths {
  /** ef_search for an index of any other build: the framework's. */
  reference: string;
  /** ef_search for an index built as hnswBuildFor(model) builds it now. */
  build: string;
  /** The reloptions that mark such an index. */
  buildOptions: string[] | null;
  index: string | null;
}

/**
 * The HNSW walk keeps at least as many candidates as it returns. An index keeps the
 * parameters it was built with, so the one to search is told apart by them: only an index
 * built the way its model's indexes are built now is searched at that build's width (an
 * older one, or one rebuilt from an older export, needs the framework's full width).
 */
function searchWidths(model: EmbeddingModel | null, r: FrameworkParams['retrieval']): SearchWidths {
  const reference = Math.max(r.efSearch, r.vectorCandidates);
  if (!model) return { reference: String(reference), build: String(reference), buildOptions: null, index: null };
  const b = hnswBuildFor(model);
  return {
    reference: String(reference),
    build: String(Math.max(Math.round(r.efSearch * b.searchWidth), r.vectorCandidates)),
    buildOptions: [`m=${b.m}`, `ef_construction=${b.efConstruction}`],
    index: hnswIndexName(model.idx),
  };
}

/** A timestamp as float8 epoch milliseconds (numeric would arrive as a string). */
function epochMs(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000)::float8`;
}

function int(n: number): number {
  return Number.isSafeInteger(n) && n > 0 ? n : 1;
}

export interface ProvenanceRow {
  memory_id: string;
  turn_id: string;
  conversation_id: string;
  role: string;
  source: string;
  source_id: string | null;
  /** Epoch milliseconds (see CandidateRow). */
  created_at: number;
}

/** The L4 turns (and their ids at their source) that the given memories came from. */
export async function fetchProvenance(client: pg.ClientBase, memoryIds: number[]): Promise<ProvenanceRow[]> {
  if (!memoryIds.length) return [];
  const r = await client.query<ProvenanceRow>({
    name: 'emily.provenance',
    text: `SELECT p.memory_id, t.id AS turn_id, t.conversation_id, t.role, t.source, t.source_id, ${epochMs('t.created_at')} AS created_at
       FROM unnest($1::bigint[]) AS ids(id)
       CROSS JOIN LATERAL (SELECT s.memory_id, s.turn_id FROM memory_sources s WHERE s.memory_id = ids.id ORDER BY s.turn_id DESC LIMIT 10) p
       JOIN turns t ON t.id = p.turn_id`,
    values: [memoryIds],
  });
  return r.rows;
}

/**
 * An OR tsquery over the query's words. The words come from tokenize() (letters, marks and
 * digits only, apostrophes split off), so quoting them is enough; anything else is dropped.
 */
export function orQuery(words: string[]): string | null {
  const safe = safeWords(words);
  return safe.length ? safe.map((w) => `'${w}'`).join(' | ') : null;
}

/**
 * A tsquery matching text that holds any two of the query's words; null for fewer than two.
 * Written as ('a' & ('b' | 'c')) | ('b' & 'c'), not as every pair: for a memory holding one of
 * the words the index's check then stops at each first word it lacks (half the time of the
 * pairs written out). The index checks every memory holding any of the words against the
 * whole query, and the query grows with the square of its words: for a 20-word chat message
 * of common words, 12 ms with every word against 1.9 with eight (16,000 memories). So only
 * PAIRED_WORDS words are paired, the longest ones (in query order among equals), since a
 * longer word is more often a rare one: "lighthouse" and "retired" rather than "mum" and
 * "kept". A memory holding two of the other words only is not a full-text candidate then
 * unless too few memories hold two paired words; its vector can still bring it up.
 */
export function pairQuery(words: string[]): string | null {
  const distinct = [...new Set(safeWords(words))];
  const paired = distinct
    .map((w, i) => ({ w, i }))
    .sort((a, b) => [...b.w].length - [...a.w].length || a.i - b.i)
    .slice(0, PAIRED_WORDS)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.w);
  const parts: string[] = [];
  for (let i = 0; i + 1 < paired.length; i++) parts.push(`('${paired[i]}' & (${paired.slice(i + 1).map((w) => `'${w}'`).join(' | ')}))`);
  return parts.length ? parts.join(' | ') : null;
}

/**
 * Letters, marks and digits only, with at least one letter or digit, and short enough for
 * PostgreSQL to keep (it drops a word of 2,047 bytes or more, and a mark alone is no word):
 * a word it dropped would leave a pair of one word, and the pair query would match memories
 * holding one word only.
 */
function safeWords(words: string[]): string[] {
  return words.filter((w) => /^[\p{L}\p{M}\p{N}]+$/u.test(w) && /[\p{L}\p{N}]/u.test(w) && Buffer.byteLength(w, 'utf8') < 2047);
}
