import type pg from 'pg';

/**
 * How many turns a full-text query is likely to match, from PostgreSQL's own statistics of
 * `turns.tsv` (the numbers the planner estimates the same thing from). Retrieval reads the
 * newest L4 matches one of two ways inside one generically planned statement, and this
 * tells it which: walking the turns newest first costs about 0.45 µs a turn walked, reading
 * every match through the full-text index 1.1–1.9 µs a match (measured on
 * `bench retrieval`'s 25,000 turns). The walk reads LATEST/s turns for a query matching a
 * share s of them, the index N·s: so the walk wins once N·s² > LATEST·0.4.
 *
 * Reading the statistics costs 2–5 ms (the pg_stats view, more on a new connection), so
 * they are read only for a database with many turns, and kept for a while. The count of
 * turns comes free with every retrieval's settings (see noteTurnCount). Below that count,
 * or until the statistics are read, every match is read through the index: for a table that
 * small neither way costs much. Stale or missing statistics only make a retrieval slower,
 * never different: both ways return the same turns.
 */
export interface TurnWordStats extends WordShares {
  /** Turns in the table as of the last ANALYZE or VACUUM (0 when unknown). */
  turns: number;
}

interface WordShares {
  /** Share of turns holding each of the most common words. */
  share: Map<string, number>;
  /** The share assumed for a word not listed, as the planner assumes it. */
  unlisted: number;
}

/** The newest L4 matches retrieval ranks (see fetchCandidates). */
export const LATEST_TURN_MATCHES = 120;
/**
 * Walking a turn costs about 0.4 of reading one match through the index where the choice is
 * close ("job", in 3.4 % of the turns: 0.47 against 1.13 µs); far from it, reading costs more.
 */
const WALK_COST_RATIO = 0.4;
/** Below this many turns reading every match costs at most about 1.5 ms: not worth the statistics. */
const TURNS_WORTH_STATISTICS = 1000;
/** PostgreSQL's DEFAULT_TS_MATCH_SEL: the planner's share for a word it knows nothing of. */
const DEFAULT_SHARE = 0.005;
const KEEP_MS = 10 * 60_000;
/** Profiles whose counts and words are kept (least recently used dropped first). */
const MAX_DATABASES = 256;

interface Known {
  turns: number;
  /** The turns table's oid: a restore or a move back brings another table under the same name. */
  table: string;
  stats?: WordShares & { loadedAt: number };
}

const byDatabase = new Map<string, Known>();
const byClient = new WeakMap<object, Known>();

/** True when walking the turns newest first is expected to beat reading every match. */
export function walkNewestTurns(stats: TurnWordStats, words: string[]): boolean {
  if (stats.turns <= 0 || !words.length) return false;
  let none = 1;
  for (const w of new Set(words)) none *= 1 - (stats.share.get(w) ?? stats.unlisted);
  const share = 1 - none;
  return stats.turns * share * share > LATEST_TURN_MATCHES * WALK_COST_RATIO;
}

/**
 * Whether to walk the newest turns for these words in the client's database: reads the
 * statistics first if the database is known to hold many turns and they are missing or old.
 */
export async function walkNewestTurnsIn(client: pg.ClientBase, words: string[], now = Date.now()): Promise<boolean> {
  const known = knownFor(client);
  if (!known || known.turns < TURNS_WORTH_STATISTICS) return false;
  if (!known.stats || now - known.stats.loadedAt >= KEEP_MS) known.stats = { ...(await loadWordShares(client, known.turns)), loadedAt: now };
  return walkNewestTurns({ ...known.stats, turns: known.turns }, words);
}

/**
 * The number of turns as the database last counted them (pg_class.reltuples; negative when
 * never counted), and the oid of its turns table.
 */
export function noteTurnCount(client: pg.ClientBase, seen: { turns: number; table: string }): void {
  const turns = Number.isFinite(seen.turns) && seen.turns > 0 ? seen.turns : 0;
  const known = knownFor(client);
  if (known && known.table === seen.table) {
    known.turns = turns;
    return;
  }
  const fresh: Known = { turns, table: seen.table };
  const key = databaseKey(client);
  if (!key) {
    byClient.set(client, fresh);
    return;
  }
  byDatabase.set(key, fresh);
  if (byDatabase.size > MAX_DATABASES) byDatabase.delete(byDatabase.keys().next().value!);
}

function knownFor(client: pg.ClientBase): Known | undefined {
  const key = databaseKey(client);
  if (!key) return byClient.get(client);
  const known = byDatabase.get(key);
  if (known) {
    // Most recently used last: the first is the one dropped.
    byDatabase.delete(key);
    byDatabase.set(key, known);
  }
  return known;
}

/**
 * Only the words common enough to count: a query of up to 24 words is walked at a share of
 * sqrt(48/N), so a word below an eighth of that rarely decides anything, and counts as
 * unlisted. Of the 693 words listed for the bench's 25,000 turns, 319 are kept.
 */
async function loadWordShares(client: pg.ClientBase, turns: number): Promise<WordShares> {
  // As JSON: node-postgres parses a 700-word text[] several times slower than JSON.parse.
  const r = await client.query<{ words: string | null; shares: string | null }>(
    `SELECT array_to_json(s.most_common_elems::text::text[])::text AS words, array_to_json(s.most_common_elem_freqs)::text AS shares
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'tsv'
      WHERE c.oid = to_regclass('turns')`,
  );
  const row = r.rows[0];
  const words: unknown = row?.words ? JSON.parse(row.words) : [];
  const shares: unknown = row?.shares ? JSON.parse(row.shares) : [];
  const share = new Map<string, number>();
  let unlisted = DEFAULT_SHARE;
  // For a tsvector the shares are followed by the smallest and largest of them.
  if (Array.isArray(words) && Array.isArray(shares) && shares.length === words.length + 2) {
    const counts = Math.sqrt((LATEST_TURN_MATCHES * WALK_COST_RATIO) / Math.max(1, turns)) / 8;
    words.forEach((w, i) => Number(shares[i]) >= counts && share.set(String(w), Number(shares[i])));
    unlisted = Math.min(DEFAULT_SHARE, Number(shares[words.length]) / 2);
  }
  return { share, unlisted };
}

/** One key per database of one server; null when the client does not say which. */
function databaseKey(client: pg.ClientBase): string | null {
  const c = client as unknown as { host?: unknown; port?: unknown; database?: unknown };
  return typeof c.database === 'string' && c.host !== undefined && c.port !== undefined ? `${String(c.host)}:${String(c.port)}/${c.database}` : null;
}
