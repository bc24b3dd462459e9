import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../electron/cluster/cluster.js';
import { readPostmaster } from '../../electron/cluster/postmaster.js';
import { Emily } from '../../electron/core/emily.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';

const homes: string[] = [];
function newHome(): string {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-cluster-'));
  homes.push(h);
  return h;
}

afterEach(async () => {
  for (const home of homes.splice(0)) {
    const pm = readPostmaster(path.join(home, 'pgdata'));
    if (pm?.alive) process.kill(pm.pid, 'SIGINT'); // fast shutdown of anything a failed test left running
    for (let i = 0; i < 100 && readPostmaster(path.join(home, 'pgdata'))?.alive; i++) await new Promise((r) => setTimeout(r, 50));
    fs.rmSync(home, { recursive: true, force: true });
  }
});

describe('the embedded cluster', () => {
  it('initialises a private data folder, listens on 127.0.0.1 only with SCRAM, and stops cleanly', async () => {
    const home = newHome();
    const cluster = new EmbeddedCluster({ home });
    const { attached } = await cluster.start();
    expect(attached).toBe(false);
    expect(fs.statSync(cluster.layout.pgdata).mode & 0o777).toBe(0o700);
    expect(fs.statSync(cluster.layout.secretsFile).mode & 0o777).toBe(0o600);
    await withAdminClient(cluster.admin(), 'postgres', async (c) => {
      expect((await c.query('SHOW listen_addresses')).rows[0].listen_addresses).toBe('127.0.0.1');
      expect((await c.query('SHOW password_encryption')).rows[0].password_encryption).toBe('scram-sha-256');
      expect((await c.query('SHOW server_version_num')).rows[0].server_version_num).toMatch(/^15/);
      expect((await c.query("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")).rows[0].default_version).toMatch(/^0\.8\./);
      // Preloaded: a new backend knows pgvector's settings before any vector is used
      // (loaded on first use, the setting would be unknown here and read as NULL).
      expect((await c.query("SELECT current_setting('hnsw.ef_search', true) AS ef")).rows[0].ef).toBe('40');
      // The rules in force (whatever file holds them): every login needs a password, SCRAM over TCP.
      const hbaFile = (await c.query('SHOW hba_file')).rows[0].hba_file as string;
      expect(fs.statSync(hbaFile).isFile()).toBe(true);
      const rules = (await c.query<{ type: string; auth_method: string; error: string | null }>('SELECT type, auth_method, error FROM pg_hba_file_rules')).rows;
      expect(rules.length).toBeGreaterThan(0);
      expect(rules.filter((r) => r.error)).toEqual([]);
      expect(rules.filter((r) => r.auth_method === 'trust')).toEqual([]);
      expect(new Set(rules.filter((r) => r.type.startsWith('host')).map((r) => r.auth_method))).toEqual(new Set(['scram-sha-256']));
    });
    await cluster.stop();
    expect(readPostmaster(cluster.layout.pgdata)).toBeNull();
  });

  it('starts over a stale postmaster.pid left by a crash', async () => {
    const home = newHome();
    const cluster = new EmbeddedCluster({ home });
    await cluster.start();
    await cluster.stop();
    // A pid that is not running (beyond pid_max) and a port nobody listens on.
    fs.writeFileSync(path.join(cluster.layout.pgdata, 'postmaster.pid'), `99999999\n${cluster.layout.pgdata}\n0\n5\n\n\n\n`);
    const again = new EmbeddedCluster({ home });
    expect((await again.start()).attached).toBe(false);
    await withAdminClient(again.admin(), 'postgres', (c) => c.query('SELECT 1'));
    await again.stop();
  });

  it('attaches to the orphaned server of a killed process instead of starting a second one', async () => {
    const home = newHome();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/holdCluster.ts', home], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /ready (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error('holder exited early')));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const orphan = readPostmaster(path.join(home, 'pgdata'));
    expect(orphan?.alive).toBe(true);
    const emily = await Emily.open({ home });
    try {
      expect(emily.cluster.ownsServer).toBe(false);
      expect(emily.cluster.admin().port).toBe(port);
      expect(readPostmaster(path.join(home, 'pgdata'))!.pid).toBe(orphan!.pid);
    } finally {
      await emily.close({ stopServer: true });
    }
    expect(readPostmaster(path.join(home, 'pgdata'))).toBeNull();
  });

  it('refuses a data folder that is not a PostgreSQL cluster, and a corrupt secrets file', async () => {
    const home = newHome();
    fs.mkdirSync(path.join(home, 'pgdata'));
    fs.writeFileSync(path.join(home, 'pgdata', 'random.txt'), 'not a database');
    await expect(new EmbeddedCluster({ home }).start()).rejects.toMatchObject({ code: 'DATA_DIR_INVALID', message: expect.stringMatching(/PG_VERSION is missing/) });
    expect(fs.readFileSync(path.join(home, 'pgdata', 'random.txt'), 'utf8')).toBe('not a database'); // nothing of the user's is touched
    const other = newHome();
    fs.writeFileSync(path.join(other, 'secrets.json'), '{not json');
    expect(() => new EmbeddedCluster({ home: other })).toThrow(/secrets file .* corrupt/);
  });

  it('refuses a data folder that cannot be made (under /proc) with DATA_DIR_INVALID instead of hanging', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, ['bin/emily.mjs', 'users', 'list', '--json'], { env: { ...process.env, EMILY_HOME: '/proc/emily-test/home' }, timeout: 60_000 });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'DATA_DIR_INVALID', message: expect.stringMatching(/cannot create the data folder .*set EMILY_HOME/) });
  });

  it('two first starts in one empty data folder at once: one cluster, one server, the same secrets, both work', async () => {
    const home = newHome();
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, ['bin/emily.mjs', 'users', 'list', '--json'], { env: { ...process.env, EMILY_HOME: home, EMILY_SPARE_DATABASES: '0' } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => resolve({ code, out, err }));
      });
    const both = await Promise.all([run(), run()]);
    for (const r of both) {
      expect(r.err).not.toMatch(/CLUSTER_START_FAILED|error/i);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual([]);
    }
    // The secrets on disk are the ones the cluster was made with.
    const again = new EmbeddedCluster({ home });
    await again.start();
    await withAdminClient(again.admin(), 'postgres', (c) => c.query('SELECT 1'));
    await again.stop({ force: true });
  });

  it('says so when the chosen port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(new EmbeddedCluster({ home: newHome(), port }).start()).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(String(port)) });
    } finally {
      blocker.close();
    }
  });

  it('reports the server log when the server will not start', async () => {
    const home = newHome();
    const cluster = new EmbeddedCluster({ home });
    await cluster.start();
    await cluster.stop();
    fs.appendFileSync(path.join(cluster.layout.pgdata, 'postgresql.conf'), '\nshared_buffers = nonsense\n');
    await expect(new EmbeddedCluster({ home }).start()).rejects.toMatchObject({ code: 'CLUSTER_START_FAILED', message: expect.stringMatching(/shared_buffers/) });
  });
});
