import { EmilyError } from '../core/errors.js';

/** What a psql script is made of, in order. */
export type ScriptEvent =
  /** An SQL statement. `code` has comments removed and whitespace collapsed (for classification). */
  | { kind: 'statement'; text: string; code: string; line: number }
  /** A psql meta-command (a backslash outside quotes), with the rest of its line. */
  | { kind: 'meta'; text: string; line: number }
  /** Rows of the COPY … FROM stdin that precedes, verbatim (whole lines). */
  | { kind: 'copyData'; data: Buffer; rows: number }
  | { kind: 'copyEnd'; rows: number; line: number };

const NL = 0x0a;
const TERMINATOR = Buffer.from('\n\\.\n');
const COPY_FROM_STDIN = /^COPY\b[\s\S]*\bFROM\s+STDIN\b/i;

type Quote = null | "'" | 'E' | '"' | { dollar: string };

/**
 * PostgreSQL's lexer (scan.l) counts every byte from 0x80 up as a letter, and lets `$` follow
 * the first character of an identifier; decoded as UTF-8, those bytes are the characters
 * from U+0080 up. So "é$q$" is one identifier there, not "é" and a dollar quote.
 */
const IDENT_CONT = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/**
 * Splits a psql script (a plain pg_dump, or pg_restore's script output) into statements,
 * meta-commands and COPY data, streaming: COPY data is passed through in large slices
 * found with Buffer.indexOf, so a 200 MB dump is scanned at memory speed. The lexer knows
 * exactly what psql knows (quotes, E'' escapes, dollar quotes, nested comments), because a
 * backslash psql would execute must never hide inside what we took for a string.
 */
export class SqlScriptScanner {
  private pending: Buffer = Buffer.alloc(0);
  private mode: 'sql' | 'copy' = 'sql';
  private line = 1;
  private text = '';
  private code = '';
  private stmtLine = 1;
  private quote: Quote = null;
  private commentDepth = 0;
  private copyRows = 0;
  /**
   * The kind of the string that just closed: a quote after whitespace holding a newline
   * continues it (SQL's 'a'<newline>'b'), so an E'' string goes on with backslash escapes.
   */
  private closed: { quote: "'" | 'E'; newline: boolean } | null = null;

  constructor(private readonly emit: (e: ScriptEvent) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.drain(false);
  }

  end(): void {
    this.drain(true);
    if (this.mode === 'copy') throw invalid(`the script ends inside the data of a table (line ${this.line}): the file is truncated`);
    if (this.quote || this.commentDepth) throw invalid(`the script ends inside a quoted string or comment (from line ${this.stmtLine}): the file is truncated or damaged`);
    if (this.code.trim()) throw invalid(`the script ends in the middle of a statement (line ${this.stmtLine}): the file is truncated`);
  }

  private drain(final: boolean): void {
    for (;;) {
      if (this.mode === 'copy') {
        if (!this.drainCopy()) return;
        continue;
      }
      const nl = this.pending.indexOf(NL);
      if (nl < 0) {
        if (final && this.pending.length) {
          const rest = this.pending.toString('utf8');
          this.pending = Buffer.alloc(0);
          this.lexLine(rest);
        }
        return;
      }
      const lineText = this.pending.toString('utf8', 0, nl);
      this.pending = this.pending.subarray(nl + 1);
      this.lexLine(lineText);
      this.line++;
    }
  }

  /** Returns false when it needs more input. */
  private drainCopy(): boolean {
    const p = this.pending;
    if (p.length >= 3 && p[0] === 0x5c && p[1] === 0x2e && p[2] === NL) {
      this.pending = p.subarray(3);
      this.emit({ kind: 'copyEnd', rows: this.copyRows, line: this.line });
      this.line++;
      this.mode = 'sql';
      return true;
    }
    const term = p.indexOf(TERMINATOR);
    const end = term >= 0 ? term + 1 : p.lastIndexOf(NL) + 1;
    if (end <= 0) return false;
    const data = p.subarray(0, end);
    let rows = 0;
    for (let i = data.indexOf(NL); i >= 0; i = data.indexOf(NL, i + 1)) rows++;
    this.copyRows += rows;
    this.line += rows;
    this.pending = p.subarray(end);
    this.emit({ kind: 'copyData', data, rows });
    return true;
  }

  private lexLine(line: string): void {
    let i = 0;
    const n = line.length;
    if (!this.code.trim() && !this.quote && !this.commentDepth) this.stmtLine = this.line;
    while (i < n) {
      const c = line[i]!;
      if (this.commentDepth) {
        if (c === '*' && line[i + 1] === '/') {
          this.commentDepth--;
          i += 2;
        } else if (c === '/' && line[i + 1] === '*') {
          this.commentDepth++;
          i += 2;
        } else i++;
        continue;
      }
      if (this.quote) {
        i = this.lexQuoted(line, i);
        continue;
      }
      if (c === '-' && line[i + 1] === '-') break; // comment to end of line
      if (this.closed && c !== ' ' && c !== '\t' && c !== '\f' && c !== '\r') {
        const continues = c === "'" && this.closed.newline;
        const quote = this.closed.quote;
        this.closed = null;
        if (continues) {
          this.quote = quote;
          this.text += c;
          this.code += c;
          i++;
          continue;
        }
      }
      if (c === '/' && line[i + 1] === '*') {
        this.commentDepth = 1;
        this.code += ' ';
        i += 2;
        continue;
      }
      if (c === '\\') {
        // psql runs a backslash command wherever it meets one outside quotes; it takes the rest of the line.
        // Not part of the statement's text: what the check writes out must hold no psql command.
        this.emit({ kind: 'meta', text: line.slice(i).trim(), line: this.line });
        return;
      }
      if (c === ';') {
        this.text += ';';
        const code = this.code.replace(/\s+/g, ' ').trim();
        const text = this.text.trim();
        this.text = '';
        this.code = '';
        i++;
        if (code) this.emit({ kind: 'statement', text, code, line: this.stmtLine });
        if (COPY_FROM_STDIN.test(code)) {
          if (line.slice(i).trim()) throw new EmilyError('UNSAFE_DUMP', `line ${this.line}: text after a COPY … FROM stdin on the same line; this is not how pg_dump writes and was refused`);
          this.mode = 'copy';
          this.copyRows = 0;
          return;
        }
        this.stmtLine = this.line;
        continue;
      }
      if (c === "'") {
        const prev = line[i - 1];
        const before = line[i - 2];
        this.quote = (prev === 'E' || prev === 'e') && !(before && IDENT_CONT.test(before)) ? 'E' : "'";
      } else if (c === '"') this.quote = '"';
      else if (c === '$' && !(i > 0 && IDENT_CONT.test(line[i - 1]!))) {
        const m = DOLLAR_TAG.exec(line.slice(i, i + 70));
        if (m) {
          this.quote = { dollar: m[0] };
          this.text += m[0];
          this.code += m[0];
          i += m[0].length;
          continue;
        }
      }
      this.text += c;
      this.code += c;
      i++;
    }
    this.text += '\n';
    this.code += this.quote ? '\n' : ' ';
    if (this.closed) this.closed.newline = true;
  }

  private lexQuoted(line: string, i: number): number {
    const q = this.quote!;
    const c = line[i]!;
    let take = 1;
    if (typeof q === 'object') {
      if (line.startsWith(q.dollar, i)) {
        take = q.dollar.length;
        this.quote = null;
      }
    } else if (q === 'E' && c === '\\') take = Math.min(2, line.length - i);
    else if ((q === "'" || q === 'E') && c === "'") {
      if (line[i + 1] === "'") take = 2;
      else {
        this.quote = null;
        this.closed = { quote: q, newline: false };
      }
    } else if (q === '"' && c === '"') {
      if (line[i + 1] === '"') take = 2;
      else this.quote = null;
    }
    const s = line.slice(i, i + take);
    this.text += s;
    this.code += s;
    return i + take;
  }
}

function invalid(message: string): EmilyError {
  return new EmilyError('INVALID_DUMP', message);
}
