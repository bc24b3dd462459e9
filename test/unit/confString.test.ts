import { describe, expect, it } from 'vitest';
import { confString } from '../../electron/cluster/confString.js';

describe('confString', () => {
  it('quotes a plain path as it is', () => {
    expect(confString('/home/ana/.local/share/Emily/pgdata/emily_hba.conf')).toBe("'/home/ana/.local/share/Emily/pgdata/emily_hba.conf'");
  });

  it('doubles single quotes and backslashes, which the server reads as escapes', () => {
    expect(confString("/home/o'neil/pgdata")).toBe("'/home/o''neil/pgdata'");
    expect(confString('C:\\Users\\Ana\\Emily')).toBe("'C:\\\\Users\\\\Ana\\\\Emily'");
  });

  it('refuses line breaks and other control characters', () => {
    expect(() => confString('/tmp/a\nhba_file = /etc/passwd')).toThrow(/control characters/);
    expect(() => confString('/tmp/a\tb')).toThrow(/control characters/);
  });
});
