import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesIn, ScratchArea } from '../../electron/server/scratchArea.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

describe("server mode's scratch area", () => {
  it('removes what a dead server left at the next start, sweeps files nobody collected, keeps fresh ones', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-scratch-'));
    homes.push(home);
    // A folder of a server that was killed (its pid is no process), and one of a live one.
    const dead = path.join(home, 'server-files', '99999999-dead');
    const live = path.join(home, 'server-files', `${process.ppid}-live`);
    for (const d of [dead, live]) fs.mkdirSync(path.join(d, 'acct'), { recursive: true });
    fs.writeFileSync(path.join(dead, 'acct', 'upload.json'), 'x');
    const area = ScratchArea.open(home, { maxAgeMs: 3600_000 });
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true); // another server still running on this home
    expect(fs.statSync(area.root).mode & 0o777).toBe(0o700);

    const acct = path.join(area.root, 'acct-1');
    fs.mkdirSync(acct);
    fs.writeFileSync(path.join(acct, 'old.dump'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(acct, 'new.dump'), Buffer.alloc(500));
    const twoHoursAgo = (Date.now() - 2 * 3600_000) / 1000;
    fs.utimesSync(path.join(acct, 'old.dump'), twoHoursAgo, twoHoursAgo);
    expect(bytesIn(acct)).toBe(1500);
    expect(area.sweep()).toBe(1);
    expect(fs.readdirSync(acct)).toEqual(['new.dump']);
    expect(bytesIn(acct)).toBe(500);
    area.dispose();
    expect(fs.existsSync(area.root)).toBe(false);
  });
});
