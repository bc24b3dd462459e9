import { describe, expect, it } from 'vitest';
import { assertUserId, isUserId, newUserId, quoteIdent, userDatabaseName, userRoleName } from '../../electron/core/ids.js';

describe('user ids and derived names', () => {
  it('generates distinct valid ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, newUserId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isUserId(id)).toBe(true);
  });

  it('derives database and role names from the id only', () => {
    expect(userDatabaseName('abcdefghijk1')).toBe('emily_u_abcdefghijk1');
    expect(userRoleName('abcdefghijk1')).toBe('emily_r_abcdefghijk1');
  });

  it.each(['', 'ABCDEFGHIJK1', 'abc', "abc'; drop", 'abcdefghijk1x', '1bcdefghijk1', 'abcdefghij"1', null, 42])('refuses %j as a user id', (bad) => {
    expect(() => assertUserId(bad)).toThrow(/not a valid user id/);
    expect(() => userDatabaseName(bad as string)).toThrow();
  });

  it('refuses to quote an identifier it did not derive', () => {
    expect(quoteIdent('emily_u_abc')).toBe('"emily_u_abc"');
    expect(() => quoteIdent('x"; DROP')).toThrow();
  });
});
