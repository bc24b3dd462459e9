import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertServerCanPass } from '../../electron/cluster/cluster.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-pass-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('a data folder the server user must reach (Emily running as root)', () => {
  it('is refused under a folder closed to others, naming it and what to do', () => {
    const closed = path.join(base, 'closed');
    fs.mkdirSync(closed, { mode: 0o700 });
    fs.chmodSync(closed, 0o700);
    expect(() => assertServerCanPass(closed, path.join(closed, 'home'))).toThrow(expect.objectContaining({ code: 'DATA_DIR_INVALID', message: expect.stringMatching(/cannot pass through .*closed \(mode 700\).*EMILY_HOME/) }));
  });

  it('is accepted when every folder above lets others pass', () => {
    const open = path.join(base, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o711);
    fs.chmodSync(base, 0o711);
    expect(() => assertServerCanPass(open, path.join(open, 'home'))).not.toThrow();
  });
});
