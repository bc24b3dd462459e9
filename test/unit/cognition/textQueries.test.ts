import { describe, expect, it } from 'vitest';
import { orQuery, pairQuery } from '../../../electron/cognition/retrievalSql.js';

describe('full-text queries of retrieval', () => {
  it('an OR query holds every safe word, quoted', () => {
    expect(orQuery(['harbour', 'lighthouse'])).toBe("'harbour' | 'lighthouse'");
    expect(orQuery([])).toBeNull();
  });

  it('a pair query matches any two of the words, and needs two', () => {
    expect(pairQuery(['a1', 'b2', 'c3'])).toBe("('a1' & ('b2' | 'c3')) | ('b2' & ('c3'))");
    expect(pairQuery(['solo'])).toBeNull();
    expect(pairQuery(['same', 'same'])).toBeNull();
  });

  it('of a long query, pairs the eight longest words, in the order of the query', () => {
    const words = 'dinner sister mum kept talking neighbours told lighthouse keeper retired'.split(' ');
    // "mum" and "told" are the shortest: left out.
    expect(pairQuery(words)).toBe(
      "('dinner' & ('sister' | 'kept' | 'talking' | 'neighbours' | 'lighthouse' | 'keeper' | 'retired')) | ('sister' & ('kept' | 'talking' | 'neighbours' | 'lighthouse' | 'keeper' | 'retired')) | ('kept' & ('talking' | 'neighbours' | 'lighthouse' | 'keeper' | 'retired')) | ('talking' & ('neighbours' | 'lighthouse' | 'keeper' | 'retired')) | ('neighbours' & ('lighthouse' | 'keeper' | 'retired')) | ('lighthouse' & ('keeper' | 'retired')) | ('keeper' & ('retired'))",
    );
    const many = Array.from({ length: 24 }, (_, i) => `w${i}`);
    expect(pairQuery(many)!.split(' | (')).toHaveLength(7);
  });

  it('drops words that are not letters and digits, so nothing can break out of the quotes', () => {
    expect(pairQuery(["it's", 'ok', "x' | 'y", 'fine'])).toBe("('ok' & ('fine'))");
    expect(orQuery(["x' | 'y", 'ok'])).toBe("'ok'");
  });

  it('drops words PostgreSQL would not keep, which would leave a "pair" of one word', () => {
    const huge = 'a'.repeat(2100);
    const marks = '\u0301\u0302';
    expect(pairQuery([huge, 'harbour', 'lighthouse'])).toBe("('harbour' & ('lighthouse'))");
    expect(pairQuery([marks, 'harbour'])).toBeNull();
    expect(orQuery([huge, marks, 'harbour'])).toBe("'harbour'");
    // 682 three-byte characters are 2,046 bytes: kept.
    expect(orQuery(['中'.repeat(682)])).toBe(`'${'中'.repeat(682)}'`);
    expect(orQuery(['中'.repeat(683)])).toBeNull();
  });
});
