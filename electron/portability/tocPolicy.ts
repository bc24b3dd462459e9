import { EmilyError } from '../core/errors.js';

/**
 * The table of contents of a custom-format archive (`pg_restore -l`), filtered by what an
 * Emily database contains. The listing is only the archive's own description of itself
 * (a crafted archive can lie), so the SQL pg_restore would run for the kept entries is
 * scanned again by sqlPolicy before anything is restored.
 */
export interface TocEntry {
  /** The listing line as pg_restore printed it. */
  line: string;
  type: string;
  schema: string;
  rest: string;
}

export interface TocPlan {
  /** Lines for `pg_restore -L` (only what we restore). */
  keep: TocEntry[];
  /** Lines we leave out on purpose (extension vector, ACLs, comments on it). */
  dropped: TocEntry[];
  tables: string[];
}

/** Longest first, so "TABLE DATA" is not read as "TABLE". */
const ALLOWED = ['SEQUENCE OWNED BY', 'SEQUENCE SET', 'FK CONSTRAINT', 'TABLE DATA', 'CONSTRAINT', 'SEQUENCE', 'DEFAULT', 'COMMENT', 'INDEX', 'TABLE'];
const LINE = /^(\d+); (\d+) (\d+) (.+)$/;

export function parseToc(listing: string): TocEntry[] {
  const out: TocEntry[] = [];
  for (const raw of listing.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.startsWith(';')) continue;
    const m = LINE.exec(line);
    if (!m) throw new EmilyError('INVALID_DUMP', `the archive's table of contents has a line pg_restore should not print: ${JSON.stringify(line.slice(0, 120))}`);
    const body = m[4]!;
    const type = ALLOWED.find((t) => body.startsWith(`${t} `)) ?? body.split(' ')[0]!;
    const after = body.slice(type.length + 1);
    const sp = after.indexOf(' ');
    out.push({ line, type, schema: sp < 0 ? after : after.slice(0, sp), rest: sp < 0 ? '' : after.slice(sp + 1) });
  }
  return out;
}

export function planToc(entries: TocEntry[]): TocPlan {
  const plan: TocPlan = { keep: [], dropped: [], tables: [] };
  for (const e of entries) {
    const body = e.line.replace(/^\d+; \d+ \d+ /, '');
    if (/^EXTENSION - vector( |$)/.test(body) || /^COMMENT - EXTENSION vector( |$)/.test(body) || /^COMMENT - SCHEMA public( |$)/.test(body)) {
      plan.dropped.push(e);
      continue;
    }
    if (/^(ACL|DEFAULT ACL) /.test(body)) {
      plan.dropped.push(e);
      continue;
    }
    if (!ALLOWED.includes(e.type) || e.schema !== 'public') throw unsafe(e);
    if (e.type === 'COMMENT' && !/^(TABLE|COLUMN|INDEX|SEQUENCE|CONSTRAINT) /.test(e.rest)) throw unsafe(e);
    const name = e.rest.split(' ')[0] ?? '';
    if (!/^[a-z_][a-z0-9_]*$/.test(name) && e.type !== 'COMMENT') throw unsafe(e);
    if (e.type === 'TABLE') plan.tables.push(name);
    plan.keep.push(e);
  }
  return plan;
}

function unsafe(e: TocEntry): EmilyError {
  const kind = /^(FUNCTION|PROCEDURE|AGGREGATE)/.test(e.type) ? 'functions are not part of an Emily database' : /TRIGGER|RULE/.test(e.type) ? 'triggers and rules are not part of an Emily database' : /EXTENSION/.test(e.type) ? 'only the vector extension is allowed' : 'not something an Emily database contains';
  return new EmilyError('UNSAFE_DUMP', `the dump was refused: entry "${e.line.slice(0, 160)}" (${kind}). Nothing was restored.`);
}
