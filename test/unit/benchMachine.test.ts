import { describe, expect, it } from 'vitest';
import { hugePagesInUseMb } from '../../electron/bench/machine.js';

const meminfo = (total: number, free: number, rsvd: number) =>
  `MemTotal:       24598716 kB\nHugePages_Total:    ${total}\nHugePages_Free:     ${free}\nHugePages_Rsvd:     ${rsvd}\nHugePages_Surp:        0\nHugepagesize:       2048 kB\n`;

describe('huge pages in use (a bench figure)', () => {
  it('counts pages handed out and pages promised to a mapping not yet touched', () => {
    // PostgreSQL's shared memory: 1,000 pages reserved, 700 promised, 20 touched so far.
    expect(hugePagesInUseMb(meminfo(1000, 980, 700))).toBe(1440);
    expect(hugePagesInUseMb(meminfo(0, 0, 0))).toBe(0);
    expect(hugePagesInUseMb('')).toBe(0); // not Linux
  });
});
