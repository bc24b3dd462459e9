import { describe, expect, it } from 'vitest';
import { SqlScriptScanner, type ScriptEvent } from '../../../electron/portability/sqlScanner.js';

function scan(text: string, chunk = 7, finish = true): ScriptEvent[] {
  const out: ScriptEvent[] = [];
  const s = new SqlScriptScanner((e) => out.push(e.kind === 'copyData' ? { ...e, data: Buffer.from(e.data) } : e));
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += chunk) s.push(b.subarray(i, i + chunk));
  if (finish) s.end();
  return out;
}

const kinds = (evs: ScriptEvent[]) => evs.map((e) => (e.kind === 'statement' ? `S:${e.code}` : e.kind === 'meta' ? `M:${e.text}` : e.kind === 'copyEnd' ? `E:${e.rows}` : 'D'));

describe('SqlScriptScanner', () => {
  it('splits statements, drops comments, keeps strings whole, across any chunking', () => {
    const sql = "-- header\nSET a = 1;\nCREATE TABLE public.t (x text DEFAULT 'a;b''c' /* no; */, y text DEFAULT E'\\';x');\n";
    for (const size of [1, 3, 64]) expect(kinds(scan(sql, size))).toEqual(['S:SET a = 1', "S:CREATE TABLE public.t (x text DEFAULT 'a;b''c' , y text DEFAULT E'\\';x')"]);
  });

  it('dollar quotes hide semicolons and backslashes, with tags', () => {
    expect(kinds(scan('COMMENT ON TABLE public.t IS $x$ a; \\! b $y$ $x$;\n'))).toEqual(['S:COMMENT ON TABLE public.t IS $x$ a; \\! b $y$ $x$']);
  });

  it('a backslash outside quotes is a meta-command, even mid-line', () => {
    expect(kinds(scan('\\restrict abc\nSELECT 1 \\g /tmp/x\n', 7, false))).toEqual(['M:\\restrict abc', 'M:\\g /tmp/x']);
  });

  it('reads identifiers as PostgreSQL does: non-ASCII letters, and $ after the first character', () => {
    // "é$q$" is one identifier, so no dollar quote opens and the backslash is a psql command.
    expect(kinds(scan("COMMENT ON TABLE public.t IS 'x' \u00e9$q$\n\\! id\n$q$;\n", 5, false))).toEqual(['M:\\! id']);
    // A non-ASCII letter may open a dollar-quote tag.
    expect(kinds(scan("COMMENT ON TABLE public.t IS $\u00e9$ it's; \\! id $\u00e9$;\n"))).toEqual(["S:COMMENT ON TABLE public.t IS $\u00e9$ it's; \\! id $\u00e9$"]);
    // An E after a non-ASCII letter ends an identifier; the quote that follows is a plain one, without backslash escapes.
    expect(kinds(scan("COMMENT ON TABLE public.t IS \u00e9E'\\';\n", 3))).toEqual(["S:COMMENT ON TABLE public.t IS \u00e9E'\\'"]);
  });

  it("a string continued on the next line keeps its kind: E'' goes on with backslash escapes", () => {
    expect(kinds(scan("COMMENT ON TABLE public.t IS E'a'\n  '\\'' -- c\n;\n", 4))).toEqual(["S:COMMENT ON TABLE public.t IS E'a' '\\''"]);
    // Without a newline in between it is not a continuation: a plain string follows.
    expect(kinds(scan("COMMENT ON TABLE public.t IS E'a' '\\';\n", 4))).toEqual(["S:COMMENT ON TABLE public.t IS E'a' '\\'"]);
  });

  it('nested block comments', () => {
    expect(kinds(scan('/* a /* b; */ c; */ SET x = 1;'))).toEqual(['S:SET x = 1']);
  });

  it('passes COPY data through verbatim and counts rows; data may look like SQL', () => {
    const sql = 'COPY public.t (a) FROM stdin;\nDROP TABLE x; \\! rm\nrow\\.2\n\\.\nSET b = 2;\n';
    const evs = scan(sql, 5);
    expect(kinds(evs).filter((k) => k !== 'D')).toEqual(['S:COPY public.t (a) FROM stdin', 'E:2', 'S:SET b = 2']);
    const data = Buffer.concat(evs.filter((e) => e.kind === 'copyData').map((e) => (e as { data: Buffer }).data)).toString();
    expect(data).toBe('DROP TABLE x; \\! rm\nrow\\.2\n');
  });

  it('an empty COPY block', () => {
    expect(kinds(scan('COPY public.t (a) FROM stdin;\n\\.\n'))).toEqual(['S:COPY public.t (a) FROM stdin', 'E:0']);
  });

  it('truncation inside COPY data, a string, or a statement is an INVALID_DUMP', () => {
    expect(() => scan('COPY public.t (a) FROM stdin;\n1\n2\n')).toThrow(expect.objectContaining({ code: 'INVALID_DUMP' }));
    expect(() => scan("SET a = 'x;\n")).toThrow(expect.objectContaining({ code: 'INVALID_DUMP' }));
    expect(() => scan('CREATE TABLE public.t (\n')).toThrow(expect.objectContaining({ code: 'INVALID_DUMP' }));
  });

  it('refuses text after COPY … FROM stdin on the same line', () => {
    expect(() => scan('COPY public.t (a) FROM stdin; SET x = 1;\n\\.\n')).toThrow(expect.objectContaining({ code: 'UNSAFE_DUMP' }));
  });

  it('reports the line a statement starts on', () => {
    const evs = scan('\n\nSET a = 1;\n\nCREATE TABLE public.t (\n a int\n);\n');
    expect(evs.map((e) => (e as { line: number }).line)).toEqual([3, 5]);
  });
});
