import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { EmbeddedCluster, type AdminConnection } from '../../electron/cluster/cluster.js';
import { Emily } from '../../electron/core/emily.js';
import { freePort } from '../../electron/cluster/freePort.js';
import { readPostmaster } from '../../electron/cluster/postmaster.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { serversFile } from '../../electron/databases/serverConfig.js';
import { descendants } from '../faults/support/processes.js';

/**
 * A second real PostgreSQL server for multi-server tests: another embedded cluster (pgvector
 * is built into the same binaries) in its own folder, on a fixed port so that it can be
 * killed and started again at the same address.
 */
export interface SecondServer {
  cluster: EmbeddedCluster;
  home: string;
  port: number;
  /** postgres://postgres:…@127.0.0.1:port, as a user would write it in servers.json. */
  url: string;
  /** SIGKILL of the postmaster: the server dies as in a crash. */
  kill(): void;
  /** SIGKILL of the postmaster and every backend: the whole server is gone at once (its machine went down). */
  crash(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSecondServer(): Promise<SecondServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-test-s2-'));
  const port = await freePort();
  const cluster = new EmbeddedCluster({ home, port });
  await cluster.start();
  return {
    cluster,
    home,
    port,
    url: `postgres://postgres:${encodeURIComponent(cluster.secrets.adminPassword)}@127.0.0.1:${port}`,
    kill() {
      const pm = readPostmaster(cluster.layout.pgdata);
      if (pm?.alive) process.kill(pm.pid, 'SIGKILL');
    },
    crash() {
      const pm = readPostmaster(cluster.layout.pgdata);
      if (!pm?.alive) return;
      const all = [pm.pid, ...descendants(pm.pid)];
      for (const pid of all) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    },
    async start() {
      await cluster.start();
    },
    async stop() {
      await cluster.stop({ force: true }).catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Registers servers the way a user does: servers.json in the home, mode 0600. */
export function writeServersJson(home: string, servers: Record<string, string>, extra: Record<string, unknown> = {}): void {
  fs.writeFileSync(serversFile(home), JSON.stringify({ ...extra, servers }), { mode: 0o600 });
}

/** User databases on a server. */
export async function userDatabasesOn(admin: AdminConnection): Promise<string[]> {
  return withAdminClient(admin, 'postgres', async (c) => (await c.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE 'emily\\_u\\_%'")).rows.map((r) => r.d));
}

/** Replication slots, subscriptions and move roles: what a move must never leave behind. */
export async function moveDebris(admin: AdminConnection): Promise<string[]> {
  return withAdminClient(admin, 'postgres', async (c) => [
    ...(await c.query<{ n: string }>('SELECT slot_name AS n FROM pg_replication_slots')).rows.map((r) => `slot ${r.n}`),
    ...(await c.query<{ n: string }>('SELECT subname AS n FROM pg_subscription')).rows.map((r) => `subscription ${r.n}`),
    ...(await c.query<{ n: string }>("SELECT rolname AS n FROM pg_roles WHERE rolname LIKE 'emily\\_mv\\_%'")).rows.map((r) => `role ${r.n}`),
  ]);
}

export interface TwoServers {
  home: string;
  second: SecondServer;
  emily: Emily;
}

/**
 * For a test file: its own home with the embedded "local" server (its catalog) and a second
 * embedded cluster registered as the external server "two" through servers.json, as a user
 * would. Filled in by a beforeAll; everything is stopped and removed after the file.
 */
export function useTwoServers(prefix: string): TwoServers {
  const ctx = {} as TwoServers;
  beforeAll(async () => {
    ctx.home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    ctx.second = await startSecondServer();
    writeServersJson(ctx.home, { two: ctx.second.url });
    ctx.emily = await Emily.open({ home: ctx.home, spareDatabases: 0 });
  });
  afterAll(async () => {
    await ctx.emily?.close({ stopServer: true });
    await ctx.second?.stop();
    if (ctx.home) fs.rmSync(ctx.home, { recursive: true, force: true });
  });
  return ctx;
}
