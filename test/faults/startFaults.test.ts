import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../electron/cluster/cluster.js';
import { freePort } from '../../electron/cluster/freePort.js';
import { readPostmaster } from '../../electron/cluster/postmaster.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { disposeHome, newHome } from './support/processes.js';

const homes: string[] = [];
afterAll(async () => {
  for (const h of homes) await disposeHome(h);
});

let made: { home: string; pgdata: string } | undefined;

/** A data folder with a cluster in it, its server stopped (one for the file: each test leaves it startable, the last one excepted). */
async function stoppedCluster(): Promise<{ home: string; pgdata: string }> {
  if (made) return made;
  const home = newHome('startfault');
  homes.push(home);
  const cluster = new EmbeddedCluster({ home });
  await cluster.start();
  await cluster.stop();
  made = { home, pgdata: cluster.layout.pgdata };
  return made;
}

describe('starting over what a crash or a mishap left behind', () => {
  it('starts over a stale postmaster.pid and socket lock whose pid now belongs to another program (as after a reboot)', async () => {
    const { home, pgdata } = await stoppedCluster();
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const port = await freePort();
    try {
      fs.writeFileSync(path.join(pgdata, 'postmaster.pid'), `${other.pid}\n${pgdata}\n1700000000\n${port}\n${pgdata}\n127.0.0.1\n  1234   5678\nready   \n`);
      fs.writeFileSync(path.join(pgdata, `.s.PGSQL.${port}.lock`), `${other.pid}\n${pgdata}\n1700000000\n${port}\n${pgdata}\n`);
      // The same port, as when the supervisor revives a killed server.
      const cluster = new EmbeddedCluster({ home, port });
      expect((await cluster.start()).attached).toBe(false);
      await withAdminClient(cluster.admin(), 'postgres', (c) => c.query('SELECT 1'));
      expect(readPostmaster(pgdata)!.pid).not.toBe(other.pid);
      expect(cluster.admin().socketDir).toBe(pgdata);
      await cluster.stop();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('refuses to start a brand-new empty cluster when the database folder of a used data folder is missing', async () => {
    const { home, pgdata } = await stoppedCluster();
    fs.renameSync(pgdata, `${pgdata}.elsewhere`);
    await expect(new EmbeddedCluster({ home }).start()).rejects.toMatchObject({ code: 'DATA_DIR_INVALID', message: expect.stringMatching(/missing.*move .* aside/s) });
    expect(fs.existsSync(pgdata)).toBe(false); // nothing was created in its place
    fs.renameSync(`${pgdata}.elsewhere`, pgdata);
    const cluster = new EmbeddedCluster({ home });
    await cluster.start();
    await cluster.stop();
  });

  it('refuses to make new secrets for a data folder that lost its own, and starts again once they are back', async () => {
    const { home } = await stoppedCluster();
    const file = path.join(home, 'secrets.json');
    fs.renameSync(file, `${file}.elsewhere`);
    expect(() => new EmbeddedCluster({ home })).toThrow(expect.objectContaining({ code: 'DATA_DIR_INVALID', message: expect.stringMatching(/secrets file .* is missing, but this folder holds Emily's databases/) }));
    expect(fs.existsSync(file)).toBe(false); // none made up in its place
    fs.renameSync(`${file}.elsewhere`, file);
    const cluster = new EmbeddedCluster({ home });
    await cluster.start();
    await withAdminClient(cluster.admin(), 'postgres', (c) => c.query('SELECT 1'));
    await cluster.stop();
  });

  // Last: it damages the shared cluster for good.
  it('says which file is damaged when the cluster itself is corrupt', async () => {
    const { home, pgdata } = await stoppedCluster();
    fs.truncateSync(path.join(pgdata, 'global', 'pg_control'), 10);
    await expect(new EmbeddedCluster({ home }).start()).rejects.toMatchObject({ code: 'CLUSTER_START_FAILED', message: expect.stringMatching(/pg_control[\s\S]*data folder/) });
    expect(readPostmaster(pgdata)?.alive ?? false).toBe(false); // no half-started server left behind
  });
});
