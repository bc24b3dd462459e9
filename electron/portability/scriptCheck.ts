import { EmilyError } from '../core/errors.js';
import { latestVersion, type Migration } from '../databases/migrations.js';
import { SqlScriptScanner, type ScriptEvent } from './sqlScanner.js';
import { classifyMeta, classifyStatement, excerpt } from './sqlPolicy.js';

export interface LedgerEntry {
  id: number;
  name: string;
  checksum: string;
}

/** What the checked script will do, learnt while checking it. */
export interface ScriptFacts {
  tables: Set<string>;
  /** Rows per table in the dump's COPY data: the restored database must hold as many. */
  rows: Map<string, number>;
  ledger: LedgerEntry[];
  kept: number;
  dropped: number;
  /**
   * Vector (HNSW/IVFFlat) index statements, held back from the restore: they are the slow
   * part of an import, so they are built once the profile is live (see buildVectorIndexes).
   */
  vectorIndexes: Array<{ name: string; sql: string }>;
}

/**
 * Feeds a dump script through the scanner and the policy; refuses at the first statement
 * that is not allowed. With `write`, it also produces the sanitized script (kept statements
 * and COPY data only) that psql will run.
 */
export class ScriptChecker {
  readonly facts: ScriptFacts = { tables: new Set(), rows: new Map(), ledger: [], kept: 0, dropped: 0, vectorIndexes: [] };
  private readonly scanner: SqlScriptScanner;
  private copy: { table: string; columns: string[] } | undefined;
  private ledgerText = '';

  constructor(private readonly write?: (data: Buffer | string) => void) {
    this.scanner = new SqlScriptScanner((e) => this.on(e));
  }

  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  end(): ScriptFacts {
    this.scanner.end();
    return this.facts;
  }

  private on(e: ScriptEvent): void {
    switch (e.kind) {
      case 'meta': {
        const v = classifyMeta(e.text);
        if (v.action === 'refuse') throw refused(e.line, e.text, v.why);
        this.facts.dropped++;
        return;
      }
      case 'statement': {
        const v = classifyStatement(e.code);
        if (v.action === 'refuse') throw refused(e.line, e.text, v.why);
        if (v.action === 'drop') {
          this.facts.dropped++;
          return;
        }
        this.facts.kept++;
        const vix = /^CREATE INDEX ([a-z_][a-z0-9_]*) ON (?:ONLY )?public\.[a-z_][a-z0-9_]* USING (?:hnsw|ivfflat) /i.exec(e.code);
        if (vix) {
          this.facts.vectorIndexes.push({ name: vix[1]!.toLowerCase(), sql: e.text });
          return;
        }
        const table = /^CREATE (?:UNLOGGED )?TABLE public\.([a-z_][a-z0-9_]*) /i.exec(e.code);
        if (table) this.facts.tables.add(table[1]!.toLowerCase());
        const copy = COPY_FROM_STDIN.exec(e.code);
        if (copy) this.copy = { table: copy[1]!.toLowerCase(), columns: copy[2]!.split(',').map((c) => c.trim().replace(/^"|"$/g, '')) };
        this.write?.(`${e.text}\n`);
        return;
      }
      case 'copyData':
        if (this.copy?.table === 'emily_migrations' && this.ledgerText.length < 1_000_000) this.ledgerText += e.data.toString('utf8');
        this.write?.(e.data);
        return;
      case 'copyEnd': {
        const table = this.copy?.table ?? '?';
        this.facts.rows.set(table, (this.facts.rows.get(table) ?? 0) + e.rows);
        if (table === 'emily_migrations') this.facts.ledger = parseLedger(this.ledgerText, this.copy!.columns);
        this.copy = undefined;
        this.write?.('\\.\n');
        return;
      }
    }
  }
}

function parseLedger(text: string, columns: string[]): LedgerEntry[] {
  const [iId, iName, iSum] = ['id', 'name', 'checksum'].map((c) => columns.indexOf(c));
  if (iId! < 0 || iName! < 0 || iSum! < 0) throw new EmilyError('INVALID_DUMP', 'the dump has an emily_migrations table without id, name and checksum columns; it is not an Emily database');
  return text
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      const f = l.split('\t');
      return { id: Number(f[iId!]), name: f[iName!] ?? '', checksum: f[iSum!] ?? '' };
    })
    .sort((a, b) => a.id - b.id);
}

function refused(line: number, text: string, why: string): EmilyError {
  return new EmilyError('UNSAFE_DUMP', `the dump was refused at line ${line}: "${excerpt(text)}" (${why}). Nothing was restored.`);
}

/** A kept COPY … FROM stdin (the policy admits no other shape): its table, then its columns. */
export const COPY_FROM_STDIN = /^COPY public\.([a-z_][a-z0-9_]*) \((.*)\) FROM stdin$/i;

const CORE_TABLES = ['emily_migrations', 'memories', 'turns', 'conversations'];

/**
 * Is this an Emily database, and one this app can open? Checked before anything is
 * restored, from the dump's own ledger rows.
 */
export function assertEmilyDump(facts: ScriptFacts, migrations: Migration[]): { version: number } {
  const missing = CORE_TABLES.filter((t) => !facts.tables.has(t));
  if (missing.length) {
    throw new EmilyError('INVALID_DUMP', `this is a PostgreSQL dump, but not of an Emily database (it has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}); export the profile from Emily and import that file`);
  }
  const latest = latestVersion(migrations);
  const version = facts.ledger.length ? facts.ledger[facts.ledger.length - 1]!.id : 0;
  if (version > latest) throw new EmilyError('SCHEMA_TOO_NEW', `this Emily was exported by a newer version of Emily (schema ${version}; this app knows up to ${latest}); update Emily, then import it again`);
  for (const row of facts.ledger) {
    const file = migrations[row.id - 1];
    if (!file || file.checksum !== row.checksum) {
      throw new EmilyError('SCHEMA_MISMATCH', `this Emily's schema step ${row.id} (${row.name}) differs from the one this app ships; it comes from another build of Emily and cannot be imported safely`);
    }
  }
  return { version };
}
