import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedAgent, guardedLookup, guardOutboundConnections } from '../../electron/server/outboundGuard.js';

type Addr = { address: string; family: number };
const resolver = (table: Record<string, Addr[]>) => (host: string, _o: unknown, cb: (e: NodeJS.ErrnoException | null, a: Addr[]) => void) =>
  table[host] ? cb(null, table[host]!) : cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);

function lookup(fn: ReturnType<typeof guardedLookup>, host: string, all: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => fn(host, { all } as never, (e, address, family) => (e ? reject(e) : resolve(all ? address : { address, family }))));
}

describe('server mode: outbound connections only to public addresses', () => {
  const fn = guardedLookup(
    resolver({
      'models.example.com': [{ address: '203.0.113.7', family: 4 }, { address: '2001:db8::7', family: 6 }],
      'rebind.example.com': [{ address: '203.0.113.8', family: 4 }, { address: '10.0.0.5', family: 4 }],
      'loop.example.com': [{ address: '::ffff:127.0.0.1', family: 6 }],
    }),
  );

  it('passes public addresses through, in both lookup forms', async () => {
    expect(await lookup(fn, 'models.example.com', true)).toEqual([{ address: '203.0.113.7', family: 4 }, { address: '2001:db8::7', family: 6 }]);
    expect(await lookup(fn, 'models.example.com', false)).toEqual({ address: '203.0.113.7', family: 4 });
  });

  it('refuses a name when any of its addresses is private, and passes resolver errors on', async () => {
    await expect(lookup(fn, 'rebind.example.com', false)).rejects.toMatchObject({ code: 'EPRIVATEADDRESS', message: expect.stringMatching(/10\.0\.0\.5.*--allow-private-model-urls/) });
    await expect(lookup(fn, 'loop.example.com', true)).rejects.toMatchObject({ code: 'EPRIVATEADDRESS' });
    await expect(lookup(fn, 'nowhere.example.com', true)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  describe('with a model server on this machine', () => {
    let server: http.Server;
    let port: number;
    let hits = 0;
    beforeAll(async () => {
      server = http.createServer((_req, res) => {
        hits++;
        res.end('{"data":[]}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('fetch through the guarded agent reaches neither a local name nor a loopback literal', async () => {
      const dispatcher = guardedAgent();
      for (const url of [`http://localhost:${port}/v1/models`, `http://127.0.0.1:${port}/v1/models`, `http://[::ffff:127.0.0.1]:${port}/v1/models`]) {
        await expect(fetch(url, { dispatcher } as RequestInit)).rejects.toMatchObject({ cause: { code: 'EPRIVATEADDRESS' } });
      }
      expect(hits).toBe(0);
      expect((await fetch(`http://127.0.0.1:${port}/v1/models`)).status).toBe(200); // the server is there
      expect(hits).toBe(1);
    });

    it("guardOutboundConnections() puts the guard under Node's own fetch", async () => {
      const before = getGlobalDispatcher();
      try {
        guardOutboundConnections();
        await expect(fetch(`http://localhost:${port}/v1/models`)).rejects.toMatchObject({ cause: { code: 'EPRIVATEADDRESS' } });
        expect(hits).toBe(1);
      } finally {
        setGlobalDispatcher(before);
      }
      expect((await fetch(`http://localhost:${port}/v1/models`)).status).toBe(200);
    });
  });
});
