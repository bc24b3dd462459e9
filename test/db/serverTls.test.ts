import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownForServer, serverUser } from '../../electron/cluster/serverUser.js';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { parseServer } from '../../electron/databases/serverConfig.js';
import { createUser } from '../../electron/operations/users.js';
import { exportUser } from '../../electron/portability/exportDump.js';
import { locateTool } from '../../electron/portability/pgTools.js';
import { startSecondServer, writeServersJson, type SecondServer } from '../support/secondServer.js';

/**
 * An external server that accepts TLS connections only (hostssl), reached through the
 * sslmode of its URL: the admin connections, the catalog, the user pools and pg_dump all
 * use TLS, and a certificate from another authority is refused under verify-full.
 */
let second: SecondServer;
let dir: string;
let home: string;
let emily: Emily | undefined;

function certificate(name: string): { crt: string; key: string } {
  const crt = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', crt], { stdio: 'ignore' });
  return { crt, key };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-tls-'));
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-tls-home-'));
  second = await startSecondServer();
  const { crt, key } = certificate('server');
  const pgdata = second.cluster.layout.pgdata;
  fs.copyFileSync(crt, path.join(pgdata, 'server.crt'));
  fs.copyFileSync(key, path.join(pgdata, 'server.key'));
  fs.chmodSync(path.join(pgdata, 'server.key'), 0o600);
  for (const f of ['server.crt', 'server.key']) chownForServer(path.join(pgdata, f), serverUser());
  const hba = path.join(pgdata, 'emily_hba.conf');
  fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1'));
  await withAdminClient(second.cluster.admin(), 'postgres', async (c) => {
    await c.query('ALTER SYSTEM SET ssl = on');
    await c.query('SELECT pg_reload_conf()');
  });
  await new Promise((r) => setTimeout(r, 500));
});

afterAll(async () => {
  await emily?.close({ stopServer: true });
  await second?.stop();
  for (const d of [dir, home]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const tlsOf = async (url: string) =>
  withAdminClient(parseServer('tls', url, 'test').admin, 'postgres', async (c) => (await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl);

describe('an external server reached over TLS, as its URL says', () => {
  it('connects with sslmode=require and verify-full, and not without TLS', async () => {
    expect(await tlsOf(`${second.url}/?sslmode=require`)).toBe(true);
    expect(await tlsOf(`${second.url}/?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(dir, 'server.crt'))}`)).toBe(true);
    // The server takes TLS only: a URL without sslmode is turned away, and says so.
    await expect(tlsOf(second.url)).rejects.toThrow(/no pg_hba.conf entry|SSL off/);
    const other = certificate('other');
    await expect(tlsOf(`${second.url}/?sslmode=verify-full&sslrootcert=${encodeURIComponent(other.crt)}`)).rejects.toThrow(/certificate|self.signed/i);
    // What node-postgres cannot do is refused, not silently weakened.
    expect(() => parseServer('tls', `${second.url}/?sslmode=prefer`, 'test')).toThrow(/does not fall back/);
    expect(() => parseServer('tls', `${second.url}/?sslmode=require&sslrootcert=/nonexistent.pem`, 'test')).toThrow(/does not exist/);
    expect(() => parseServer('tls', `${second.url}/?application_name=x`, 'test')).toThrow(/only sslmode and sslrootcert/);
  });

  it('a profile on it works through its own pool and is exported with pg_dump, all over TLS', async () => {
    writeServersJson(home, { secure: `${second.url}/?sslmode=require` });
    emily = await Emily.open({ home, spareDatabases: 0 });
    const u = await createUser(emily, 'over tls', { server: 'secure' });
    const ssl = await emily.withUser(u.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('sent encrypted', 'fact', 'user-stated')");
      return (await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
    });
    expect(ssl).toBe(true);
    const file = path.join(dir, 'tls.dump');
    const r = await exportUser(emily, u.id, file);
    expect(r.bytes).toBeGreaterThan(0);
    expect(execFileSync(locateTool('pg_restore'), ['--data-only', '--table', 'memories', '--file', '-', file], { encoding: 'utf8' })).toContain('sent encrypted');
  });
});
