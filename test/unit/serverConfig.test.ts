import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServersConfig, parseServer } from '../../electron/databases/serverConfig.js';

const SECRET = 'pa:ss@w/rd,Sup3r';
const PLAIN = 'Sup3rSecretPw';
let dirs: string[] = [];
function home(servers?: unknown, mode = 0o600): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-cfg-'));
  dirs.push(d);
  if (servers !== undefined) fs.writeFileSync(path.join(d, 'servers.json'), typeof servers === 'string' ? servers : JSON.stringify(servers), { mode });
  return d;
}
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('server configuration', () => {
  it('reads servers.json and EMILY_SERVERS, with URL-encoded credentials', () => {
    const h = home({ servers: { two: `postgres://admin:${encodeURIComponent(SECRET)}@db2.example:6543` } });
    const cfg = loadServersConfig(h, { EMILY_SERVERS: 'three=postgresql://su:x@[::1]' });
    expect(cfg.embedded).toBe(true);
    expect(cfg.external).toEqual([
      { name: 'two', admin: { host: 'db2.example', port: 6543, user: 'admin', password: SECRET } },
      { name: 'three', admin: { host: '::1', port: 5432, user: 'su', password: 'x' } },
    ]);
  });

  it('can leave the embedded server out, but not with nothing else configured', () => {
    expect(loadServersConfig(home({ embedded: false, servers: { main: 'postgres://a:b@h:1' } }), {}).embedded).toBe(false);
    expect(loadServersConfig(home(), { EMILY_EMBEDDED: 'off', EMILY_SERVERS: 'm=postgres://a:b@h' }).embedded).toBe(false);
    expect(errorOf(() => loadServersConfig(home(), { EMILY_EMBEDDED: 'off' })).code).toBe('BAD_INPUT');
  });

  it('refuses bad names, duplicates and malformed URLs without ever repeating the password', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => parseServer('Two', `postgres://a:${PLAIN}@h`, 'x'), /not a valid server name/],
      [() => parseServer('x"; DROP', `postgres://a:${PLAIN}@h`, 'x'), /not a valid server name/],
      [() => parseServer('two', `mysql://a:${PLAIN}@h`, 'x'), /does not start with postgres/],
      [() => parseServer('two', `postgres://a:${PLAIN}@h:99999`, 'x'), /not a valid URL|invalid port/],
      [() => parseServer('two', `postgres://:${PLAIN}@h`, 'x'), /has no user/],
      [() => parseServer('two', `not a url ${PLAIN}`, 'x'), /not a valid URL/],
      [() => loadServersConfig(home(), { EMILY_SERVERS: `local=postgres://a:${PLAIN}@h` }), /listed twice.*embedded/],
      [() => loadServersConfig(home(), { EMILY_SERVERS: `justaurl://a:${PLAIN}@h` }), /name=postgres/],
      [() => loadServersConfig(home(`{"servers": {"two": "postgres://a:${PLAIN}@h"`), {}), /not valid JSON/],
    ];
    for (const [fn, re] of cases) {
      const e = errorOf(fn);
      expect(e.code).toBe('BAD_INPUT');
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain(PLAIN);
    }
  });

  it('refuses a servers.json that others can read', () => {
    const e = errorOf(() => loadServersConfig(home({ servers: { two: 'postgres://a:b@h' } }, 0o644), {}));
    expect(e.code).toBe('DATA_DIR_INVALID');
    expect(e.message).toMatch(/chmod 600/);
  });
});
