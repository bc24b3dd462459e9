import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLines, locateTool, runTool, toolDirs } from '../../../electron/portability/pgTools.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-tools-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fakeTool(sub: string, version: string): string {
  const d = path.join(dir, sub);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'pg_dump'), `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version}"\n`, { mode: 0o755 });
  return d;
}

describe('locating the client tools', () => {
  it('takes the first folder whose tool says it is version 15', () => {
    const v16 = fakeTool('v16', '16.2');
    const v15 = fakeTool('v15', '15.18');
    expect(locateTool('pg_dump', {}, [v16, v15])).toBe(path.join(v15, 'pg_dump'));
  });

  it('reports TOOL_MISSING, naming the wrong versions it saw', () => {
    const v16 = fakeTool('only16', '16.2');
    expect(() => locateTool('pg_dump', {}, [v16, path.join(dir, 'empty')])).toThrow(expect.objectContaining({ code: 'TOOL_MISSING', message: expect.stringMatching(/16\.2|PostgreSQL 16|\(16\)/) }));
  });

  it('EMILY_PG_TOOLS comes first, then the embedded bin folder, then Debian, then PATH', () => {
    expect(toolDirs({ EMILY_PG_TOOLS: '/a', EMILY_PG_BIN: '/b', PATH: '/c:/d' })).toEqual(['/a', '/b', '/usr/lib/postgresql/15/bin', '/c', '/d']);
  });

  it('finds the real pg_dump 15 on this machine', () => {
    expect(locateTool('pg_dump')).toMatch(/pg_dump$/);
  });
});

describe('running a tool', () => {
  it('a tool that does not exist is TOOL_MISSING', async () => {
    await expect(runTool(path.join(dir, 'nope'), [])).rejects.toMatchObject({ code: 'TOOL_MISSING' });
  });

  it('passes the password only in the environment, never in argv', async () => {
    const script = path.join(dir, 'show.sh');
    fs.writeFileSync(script, '#!/bin/sh\necho "args=$*" >&2\necho "pw=$PGPASSWORD" >&2\necho "host=$PGHOST" >&2\n', { mode: 0o755 });
    process.env.PGHOST = 'evil.example';
    try {
      const r = await runTool(script, ['-h', '127.0.0.1'], { password: 's3cret' });
      expect(r.stderr).toContain('pw=s3cret');
      expect(r.stderr).toContain('args=-h 127.0.0.1');
      expect(r.stderr).toContain('host=\n'); // the caller's PG* variables do not leak in
    } finally {
      delete process.env.PGHOST;
    }
  });

  it('keeps only the error lines of verbose stderr', () => {
    expect(errorLines('pg_restore: processing item 3 TABLE x\npg_restore: error: could not read input file: end of file\n')).toBe('error: could not read input file: end of file');
  });
});
