/**
 * What may run from an untrusted dump script, statement by statement. An Emily database holds
 * tables, their sequences, indexes, constraints, defaults, comments and data, plus the
 * `vector` extension (installed by us, as superuser, before the restore). Everything else —
 * functions, triggers, rules, roles, other databases, server settings, programs, large
 * objects, foreign servers, publications — is refused, naming the statement.
 *
 * keep: runs (as the new database's own non-superuser role). drop: harmless bookkeeping we
 * leave out (ownership, privileges, the extension we install ourselves). refuse: the import stops.
 */
export type Verdict = { action: 'keep' } | { action: 'drop'; why: string } | { action: 'refuse'; why: string };

const ID = '[a-z_][a-z0-9_]*';
const QID = `public\\.${ID}`;
const SETTABLE = new Set([
  'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'client_encoding',
  'check_function_bodies', 'xmloption', 'client_min_messages', 'row_security', 'default_tablespace',
  'default_table_access_method', 'default_with_oids', 'transaction_timeout',
]);

const KEEP: RegExp[] = [
  /^SELECT pg_catalog\.set_config\('search_path', '', false\)$/i,
  new RegExp(`^SELECT pg_catalog\\.setval\\('${QID}', -?\\d+, (true|false)\\)$`, 'i'),
  new RegExp(`^CREATE (UNLOGGED )?TABLE ${QID} \\(`, 'i'),
  new RegExp(`^CREATE SEQUENCE ${QID}( |$)`, 'i'),
  new RegExp(`^ALTER SEQUENCE ${QID} OWNED BY ${QID}\\.(${ID}|"[^"]+")$`, 'i'),
  new RegExp(`^ALTER TABLE (ONLY )?${QID} (ADD CONSTRAINT|ALTER COLUMN) `, 'i'),
  new RegExp(`^CREATE (UNIQUE )?INDEX ${ID} ON (ONLY )?${QID} USING (btree|gin|gist|hash|brin|hnsw|ivfflat) \\(`, 'i'),
  new RegExp(`^COPY ${QID} \\(((${ID}|"[a-z_][a-z0-9_ ]*"), )*(${ID}|"[a-z_][a-z0-9_ ]*")\\) FROM stdin$`, 'i'),
  new RegExp(`^COMMENT ON (TABLE|COLUMN|INDEX|SEQUENCE) ${QID}(\\.${ID})? IS '`, 'i'),
  new RegExp(`^COMMENT ON CONSTRAINT ${ID} ON ${QID} IS '`, 'i'),
];

const DROP: Array<[RegExp, string]> = [
  [/^CREATE EXTENSION (IF NOT EXISTS )?vector( WITH SCHEMA public)?$/i, 'the vector extension is installed by Emily before the restore'],
  [/^COMMENT ON EXTENSION vector IS '/i, 'comment of the vector extension'],
  [/^COMMENT ON SCHEMA public IS '/i, 'comment of the public schema'],
  [new RegExp(`^ALTER (TABLE|SEQUENCE|INDEX) (ONLY )?${QID} OWNER TO ("[^"]+"|${ID})$`, 'i'), 'ownership (everything belongs to the new profile)'],
  [/^ALTER SCHEMA public OWNER TO ("[^"]+"|[a-z_][a-z0-9_]*)$/i, 'ownership of the public schema'],
  [/^(GRANT|REVOKE) /i, 'privileges (a profile\'s database is private to its own role)'],
];

/** Patterns that are refused even inside an otherwise allowed statement. */
const NEVER = /\b(PROGRAM|pg_read_(binary_)?file|pg_ls_dir|lo_import|lo_export|dblink|pg_execute_server_program)\b/i;

export function classifyStatement(code: string): Verdict {
  const s = code.trim();
  const set = /^SET ([a-z_]+) = ('[^']*'|[a-z0-9_.-]+)$/i.exec(s);
  if (set) {
    const name = set[1]!.toLowerCase();
    if (name === 'standard_conforming_strings') return /^on$/i.test(set[2]!) ? { action: 'keep' } : refuse('standard_conforming_strings must stay on');
    // In another encoding a byte after a lead byte may be a backslash or a quote to one reader and not to another.
    if (name === 'client_encoding') return /^'?utf-?8'?$/i.test(set[2]!) ? { action: 'keep' } : refuse('client_encoding must stay UTF8');
    return SETTABLE.has(name) ? { action: 'keep' } : refuse(`setting ${name} is not something an Emily dump sets`);
  }
  for (const [re, why] of DROP) if (re.test(s)) return { action: 'drop', why };
  if (KEEP.some((re) => re.test(s))) {
    // A CREATE TABLE … AS SELECT would run a query; a dump never writes one.
    if (/^CREATE (UNLOGGED )?TABLE/i.test(s) && /\)\s*AS\s+(SELECT|VALUES|TABLE|WITH|EXECUTE)\b/i.test(s)) return refuse('CREATE TABLE … AS runs a query');
    if (NEVER.test(s.replace(/'(?:[^']|'')*'/g, "''"))) return refuse('calls a server file or program function');
    return { action: 'keep' };
  }
  return refuse(describe(s));
}

export function classifyMeta(text: string): Verdict {
  if (/^\\(restrict|unrestrict) [A-Za-z0-9]+$/.test(text.trim())) return { action: 'drop', why: 'psql restrict marker' };
  return refuse(`psql command ${text.split(/\s/)[0]} (only \\restrict and \\unrestrict may appear in a dump)`);
}

function refuse(why: string): Verdict {
  return { action: 'refuse', why };
}

/** A short human name for what a refused statement does. */
function describe(s: string): string {
  const checks: Array<[RegExp, string]> = [
    [/^COPY .*\bPROGRAM\b/i, 'COPY … PROGRAM runs a program on the server'],
    [/^COPY .*\bTO\b/i, 'COPY … TO writes to the server'],
    [/^COPY /i, 'a COPY that is not "COPY public.table (columns) FROM stdin"'],
    [/^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE|AGGREGATE)/i, 'functions and procedures are not part of an Emily database'],
    [/^CREATE (OR REPLACE )?(CONSTRAINT )?TRIGGER/i, 'triggers are not part of an Emily database'],
    [/^CREATE EVENT TRIGGER/i, 'event triggers are not part of an Emily database'],
    [/^CREATE (OR REPLACE )?RULE/i, 'rules are not part of an Emily database'],
    [/^ALTER SYSTEM/i, 'ALTER SYSTEM changes the server configuration'],
    [/^(CREATE|ALTER|DROP) (ROLE|USER|GROUP)/i, 'roles are managed by Emily, never by a dump'],
    [/^(CREATE|ALTER|DROP) DATABASE/i, 'a dump may not create or change databases'],
    [/^CREATE EXTENSION/i, 'only the vector extension is allowed'],
    [/^(CREATE|ALTER) (FOREIGN DATA WRAPPER|SERVER|USER MAPPING|FOREIGN TABLE)/i, 'foreign data wrappers and servers are not allowed'],
    [/^(CREATE|ALTER) (PUBLICATION|SUBSCRIPTION)/i, 'publications and subscriptions are not allowed'],
    [/^SELECT pg_catalog\.lo_|^SELECT lo_/i, 'large objects are not part of an Emily database'],
    [/^SET (SESSION AUTHORIZATION|ROLE)|^SET LOCAL (SESSION AUTHORIZATION|ROLE)|^RESET (ROLE|SESSION)/i, 'a dump may not switch roles'],
    [/^(CREATE|ALTER) (OR REPLACE )?(LANGUAGE|PROCEDURAL LANGUAGE|TRUSTED)/i, 'procedural languages are not allowed'],
    [/^DO\b/i, 'anonymous code blocks (DO) are not allowed'],
    [/^(CREATE|ALTER) (SCHEMA|VIEW|MATERIALIZED VIEW|TYPE|DOMAIN|CAST|OPERATOR|POLICY|TEXT SEARCH|COLLATION|CONVERSION|STATISTICS|ACCESS METHOD|TRANSFORM)/i, 'not part of an Emily database'],
    [/^ALTER TABLE/i, 'only constraints, defaults and identity columns may be altered'],
  ];
  for (const [re, why] of checks) if (re.test(s)) return why;
  return 'not a statement an Emily dump contains';
}

/** The first words of a statement, for error messages. */
export function excerpt(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
