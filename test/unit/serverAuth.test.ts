import { describe, expect, it } from 'vitest';
import { isPrivateUrl } from '../../electron/api/privateAddress.js';
import { hashPassword, verifyPassword } from '../../electron/server/passwords.js';

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

describe('server-mode passwords (scrypt)', () => {
  it('verifies the right password only, with the cost and a fresh salt carried in the hash', async () => {
    const h = await hashPassword('a long enough passphrase', CHEAP);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('a long enough passphrase', h)).toBe(true);
    expect(await verifyPassword('a long enough passphrasE', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    expect(await hashPassword('a long enough passphrase', CHEAP)).not.toBe(h);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const h = await hashPassword('caf\u00e9 au lait forever', CHEAP);
    expect(await verifyPassword('cafe\u0301 au lait forever', h)).toBe(true);
  });

  it('refuses malformed stored hashes instead of throwing', async () => {
    for (const stored of ['', 'plain', 'scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'bcrypt$2b$10$abc']) {
      expect(await verifyPassword('anything at all', stored)).toBe(false);
    }
  });
});

describe('server mode: model URLs that would point the server at itself or its network', () => {
  it.each([
    ['http://127.0.0.1:11434/v1', true],
    ['http://localhost:8080', true],
    ['http://foo.localhost/', true],
    ['http://[::1]:80/', true],
    ['http://[::ffff:10.0.0.5]/', true],
    ['http://10.1.2.3/v1', true],
    ['http://172.20.0.1/', true],
    ['http://192.168.1.10/', true],
    ['http://169.254.169.254/latest/meta-data', true],
    ['http://0.0.0.0:5432/', true],
    ['http://intranet/', true],
    ['http://[fd00::1]/', true],
    ['https://api.openai.com/v1', false],
    ['https://8.8.8.8/', false],
    ['http://172.32.0.1/', false],
    ['not a url', false],
  ])('%s → %s', (url, blocked) => {
    expect(isPrivateUrl(url)).toBe(blocked);
  });
});
