import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { noteTurnCount, walkNewestTurns, walkNewestTurnsIn, type TurnWordStats } from '../../../electron/cognition/turnWordStats.js';

const stats = (turns: number, shares: Record<string, number>): TurnWordStats => ({ turns, share: new Map(Object.entries(shares)), unlisted: 0.001 });

describe('how retrieval reads the newest L4 matches', () => {
  it('walks the turns newest first for a word in many of them, and reads the index for a rarer one', () => {
    // Measured on 25,000 turns: "day" (7.4 %) walked 0.73 ms against 3.61 read; "job" (3.4 %) 1.51 against 0.97.
    const s = stats(25_000, { day: 0.074, job: 0.034, pablo: 0.005 });
    expect(walkNewestTurns(s, ['day'])).toBe(true);
    expect(walkNewestTurns(s, ['pablo', 'job'])).toBe(false);
    expect(walkNewestTurns(s, ['hamster'])).toBe(false);
  });

  it('counts a turn holding any of the words, once', () => {
    const s = stats(25_000, { a: 0.02, b: 0.02, c: 0.02 });
    expect(walkNewestTurns(s, ['a'])).toBe(false);
    expect(walkNewestTurns(s, ['a', 'b', 'c'])).toBe(true);
    expect(walkNewestTurns(s, ['a', 'a', 'a'])).toBe(false);
  });

  it('the same share of a larger table is walked sooner: the walk does not grow with the table, reading every match does', () => {
    expect(walkNewestTurns(stats(25_000, { w: 0.025 }), ['w'])).toBe(false);
    expect(walkNewestTurns(stats(250_000, { w: 0.025 }), ['w'])).toBe(true);
  });

  it('reads the index when it knows nothing: no words, or no statistics yet', () => {
    expect(walkNewestTurns(stats(25_000, { day: 0.5 }), [])).toBe(false);
    expect(walkNewestTurns(stats(0, { day: 0.5 }), ['day'])).toBe(false);
  });

  it('reads the statistics only for a database with many turns, and keeps them for ten minutes', async () => {
    let reads = 0;
    const client = {
      host: '/tmp/sock', port: 5432, database: `db-${Math.random()}`,
      query: async () => {
        reads++;
        return { rows: [{ words: JSON.stringify(['day', 'job']), shares: JSON.stringify([0.074, 0.034, 0.034, 0.074]) }] };
      },
    } as unknown as pg.ClientBase;
    // Before any retrieval has counted the turns, and while they are few: no read, no walk.
    expect(await walkNewestTurnsIn(client, ['day'], 0)).toBe(false);
    noteTurnCount(client, { turns: 900, table: '16400' });
    expect(await walkNewestTurnsIn(client, ['day'], 0)).toBe(false);
    expect(reads).toBe(0);
    noteTurnCount(client, { turns: 25_000, table: '16400' });
    expect(await walkNewestTurnsIn(client, ['day'], 0)).toBe(true);
    expect(await walkNewestTurnsIn(client, ['job'], 60_000)).toBe(false);
    expect(reads).toBe(1);
    await walkNewestTurnsIn(client, ['day'], 11 * 60_000);
    expect(reads).toBe(2);
    // Another table under the same name (a restore swapped the database in): read again.
    noteTurnCount(client, { turns: 25_000, table: '16400' });
    await walkNewestTurnsIn(client, ['day'], 11 * 60_000);
    expect(reads).toBe(2);
    noteTurnCount(client, { turns: 25_000, table: '24000' });
    await walkNewestTurnsIn(client, ['day'], 11 * 60_000);
    expect(reads).toBe(3);
  });
});
