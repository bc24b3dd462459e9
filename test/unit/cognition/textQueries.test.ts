import { describe, expect, it } from 'vitest';
import { orQuery, pairQuery } from '../../../electron/cognition/retrievalSql.js';

describe('full-text queries of retrieval', () => {
  it('an OR query holds every safe word, quoted', () => {
    expect(orQuery(['harbour', 'lighthouse'])).toBe("'harbour' | 'lighthouse'");
    expect(orQuery([])).toBeNull();
  });

  it('a pair query matches any two of the words, and needs two', () => {
    expect(pairQuery(['a1', 'b2', 'c3'])).toBe("('a1' & 'b2') | ('a1' & 'c3') | ('b2' & 'c3')");
    expect(pairQuery(['solo'])).toBeNull();
    expect(pairQuery(['same', 'same'])).toBeNull();
  });

  it('pairs only the first eight words, so a long query stays a small tsquery', () => {
    const words = Array.from({ length: 24 }, (_, i) => `w${i}`);
    expect(pairQuery(words)!.split(' | ')).toHaveLength(28);
    expect(pairQuery(words)).not.toContain('w8');
  });

  it('drops words that are not letters and digits, so nothing can break out of the quotes', () => {
    expect(pairQuery(["it's", 'ok', "x' | 'y", 'fine'])).toBe("('ok' & 'fine')");
    expect(orQuery(["x' | 'y", 'ok'])).toBe("'ok'");
  });
});
