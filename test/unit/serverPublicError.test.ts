import { describe, expect, it } from 'vitest';
import { publicError, withoutServerPaths, withPublicErrors } from '../../electron/server/publicError.js';

describe("server mode: errors as an account sees them", () => {
  it("turns the server's absolute paths into the file's own name", () => {
    expect(withoutServerPaths('/tmp/emily-scratch/4242-ab12/acc/upload-9f.dump is empty; it is not a dump')).toBe('upload-9f.dump is empty; it is not a dump');
    expect(withoutServerPaths('pg_restore: error: could not open input file "/srv/emily/home/x.dump": No such file')).toBe('pg_restore: error: could not open input file "x.dump": No such file');
    expect(withoutServerPaths('the data folder (/var/lib/emily/) is full')).toBe('the data folder (emily) is full');
  });

  it('leaves what is not a path alone: URLs, fractions, relative names, "and/or", a single part such as "/v1"', () => {
    const text = 'see https://example.org/help/import, 3/4 done, a/b and/or mine.dump (the address usually ends in /v1)';
    expect(withoutServerPaths(text)).toBe(text);
  });

  it('takes a quoted path whole, spaces and all', () => {
    expect(withoutServerPaths('could not read "/var/lib/emily/My Files/x 1.dump": gone')).toBe('could not read "x 1.dump": gone');
  });

  it("cleans the error an operation's failure event carries, and leaves other events alone", () => {
    const refs: string[] = [];
    const failed = withPublicErrors({ name: 'operation.failed', payload: { operationId: 'o1', error: { code: 'INTERNAL', message: 'could not open file "/srv/pg/base/1/PG_VERSION"' } } }, (ref) => refs.push(ref));
    expect(JSON.stringify(failed)).not.toMatch(/srv|PG_VERSION/);
    expect((failed.payload as { operationId: string }).operationId).toBe('o1');
    expect(refs).toHaveLength(1);
    const progress = { name: 'progress', payload: { operationId: 'o1', message: 'checking mine.dump' } };
    expect(withPublicErrors(progress, () => undefined)).toBe(progress);
  });

  it('gives an internal error a reference and logs the details under it, never sending them', () => {
    const logged: [string, string][] = [];
    const e = publicError({ code: 'INTERNAL', message: 'connect ECONNREFUSED /run/emily/.s.PGSQL.5432 as role emily_admin' }, (ref, m) => logged.push([ref, m]));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).not.toMatch(/ECONNREFUSED|emily_admin|\/run/);
    expect(logged).toHaveLength(1);
    expect(e.message).toContain(logged[0]![0]);
    expect(logged[0]![1]).toContain('ECONNREFUSED');
  });

  it('keeps the code and the words of an ordinary error', () => {
    expect(publicError({ code: 'BAD_INPUT', message: 'type the profile name to confirm' }, () => undefined)).toEqual({ code: 'BAD_INPUT', message: 'type the profile name to confirm' });
  });
});
