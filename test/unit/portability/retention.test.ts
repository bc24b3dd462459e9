import { describe, expect, it } from 'vitest';
import { dayKey, isDue, planRetention, weekKey } from '../../../electron/portability/retention.js';

const at = (iso: string, id = iso) => ({ id, createdAt: new Date(iso) });

describe('retention planner', () => {
  it('keeps the newest per day for 7 days and the newest per ISO week for 4 weeks', () => {
    // One backup a day at 03:00 for 60 days, ending Sunday 2026-11-29.
    const end = Date.UTC(2026, 10, 29, 3);
    const all = Array.from({ length: 60 }, (_, i) => at(new Date(end - i * 86400_000).toISOString()));
    const { keep, remove } = planRetention(all, { daily: 7, weekly: 4 });
    const kept = keep.map((b) => b.id.slice(0, 10));
    // 7 dailies: Nov 23..29; weeklies: newest of weeks 48 (Nov 29), 47 (Nov 22), 46 (Nov 15), 45 (Nov 8).
    expect(kept).toEqual(['2026-11-29', '2026-11-28', '2026-11-27', '2026-11-26', '2026-11-25', '2026-11-24', '2026-11-23', '2026-11-22', '2026-11-15', '2026-11-08']);
    expect(keep.length + remove.length).toBe(60);
  });

  it('keeps only the newest of several backups on the same day', () => {
    const { keep, remove } = planRetention([at('2026-01-05T01:00:00Z'), at('2026-01-05T13:00:00Z'), at('2026-01-05T23:00:00Z')], { daily: 7, weekly: 4 });
    expect(keep.map((b) => b.id)).toEqual(['2026-01-05T23:00:00Z']);
    expect(remove).toHaveLength(2);
  });

  it('always keeps the newest, even with a zero policy', () => {
    const { keep } = planRetention([at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z')], { daily: 0, weekly: 0 });
    expect(keep.map((b) => b.id)).toEqual(['2026-01-02T00:00:00Z']);
  });

  it('with gaps, counts days that have backups, not calendar days', () => {
    const list = ['2026-03-01', '2026-02-10', '2026-01-20', '2026-01-01'].map((d) => at(`${d}T00:00:00Z`));
    expect(planRetention(list, { daily: 3, weekly: 0 }).keep.map((b) => b.id.slice(0, 10))).toEqual(['2026-03-01', '2026-02-10', '2026-01-20']);
  });

  it('empty input', () => {
    expect(planRetention([], { daily: 7, weekly: 4 })).toEqual({ keep: [], remove: [] });
  });
});

describe('keys and due times', () => {
  it('ISO weeks across a year boundary', () => {
    expect(weekKey(new Date('2026-12-31T12:00:00Z'))).toBe('2026-W53');
    expect(weekKey(new Date('2027-01-03T12:00:00Z'))).toBe('2026-W53');
    expect(weekKey(new Date('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    expect(weekKey(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01');
    expect(dayKey(new Date('2026-05-01T23:59:59Z'))).toBe('2026-05-01');
  });

  it('a backup is due after ~a day, when none exists, or when the clock went back', () => {
    const now = new Date('2026-05-02T03:00:00Z');
    expect(isDue(undefined, now)).toBe(true);
    expect(isDue(new Date('2026-05-01T03:30:00Z'), now)).toBe(true);
    expect(isDue(new Date('2026-05-01T05:00:00Z'), now)).toBe(false);
    expect(isDue(new Date('2026-05-03T03:00:00Z'), now)).toBe(true);
  });
});
