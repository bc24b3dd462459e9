import { describe, expect, it } from 'vitest';
import { checkedProxies } from '../../electron/server/multiUserServer.js';
import { raw } from '../support/http.js';
import { useServerMode, type TestServerMode } from '../support/serverMode.js';

/**
 * Behind a reverse proxy every request comes from the proxy's address. Trusted proxies
 * (--trust-proxy) make X-Forwarded-For name the client, so one client using up its sign-in
 * attempts does not lock out everyone else; untrusted, the header changes nothing.
 */
const limits = { rateLimit: { authPerMinute: 4 } };
const behindProxy = useServerMode({ ...limits, trustProxy: ['127.0.0.1'] });
const direct = useServerMode(limits);

const attempt = (s: TestServerMode, client: string) =>
  raw(s.server.port, {
    method: 'POST',
    path: '/auth/login',
    headers: { 'content-type': 'application/json', origin: s.origin(), 'x-forwarded-for': client },
    body: JSON.stringify({ username: 'nobody-here', password: 'not the password at all' }),
  });

async function untilLimited(s: TestServerMode, client: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await attempt(s, client)).status);
  return statuses;
}

describe('server mode behind a reverse proxy', () => {
  it('with the proxy trusted, sign-in attempts are limited per client it names', async () => {
    const first = await untilLimited(behindProxy, '203.0.113.5');
    expect(first.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(first.slice(4)).toEqual([429, 429]);
    // Another client behind the same proxy still signs in normally.
    expect((await attempt(behindProxy, '203.0.113.6')).status).toBe(401);
  });

  it('without it, X-Forwarded-For is ignored: a client cannot escape its limit by naming another address', async () => {
    const first = await untilLimited(direct, '198.51.100.1');
    expect(first.slice(4)).toEqual([429, 429]);
    expect((await attempt(direct, '198.51.100.2')).status).toBe(429);
  });

  it('refuses anything but addresses and ranges as proxies', () => {
    expect(checkedProxies(['10.0.0.0/8', ' 127.0.0.1', '::1', 'fd00::/8'])).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
    for (const bad of ['true', '*', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/1', '::1/129', '', '0.0.0.0/0', '::/0', 'fe80::1%eth0']) {
      expect(() => checkedProxies([bad])).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    }
  });
});
