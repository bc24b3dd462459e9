import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import pLimit from 'p-limit';
import { backgroundService } from '../api/adapters/backgroundService.js';
import { chatService } from '../api/adapters/chatService.js';
import { memoryService } from '../api/adapters/memoryService.js';
import type { Emily } from '../core/emily.js';
import { withAdminClient } from '../databases/adminClient.js';
import { InstantModel } from '../providers/llm/instant.js';
import { MULTI_USER_BUDGET, startMultiUserServer } from '../server/multiUserServer.js';
import { rendererDist } from '../server/rendererDir.js';
import { hugePagesInUseMb, idleConnectMs } from './machine.js';
import { progress, withScratchEmily } from './scratch.js';
import { elapsedMs, percentile, round } from './stats.js';

export interface LoadBenchOptions {
  users?: number;
  concurrency?: number;
  /** How long to drive the load (ignored when requests is given). */
  seconds?: number;
  requests?: number;
  /** Server connections all user pools together may hold. */
  budget?: number;
  /** Run the background job runner as "emily serve --multi-user" does (default true). */
  background?: boolean;
}

export interface LoadBenchResult {
  users: number;
  concurrency: number;
  requests: number;
  p50_ms: number;
  p95_ms: number;
  errors: number;
  /** Peak client backends connected to user databases (emily_u_*), sampled from pg_stat_activity. */
  max_server_connections: number;
  max_server_connections_counts: string;
  /** Every client backend, the catalog's and the sampler's own included. */
  max_all_client_connections: number;
  p99_ms: number;
  chat_p95_ms: number;
  recall_p95_ms: number;
  requests_per_s: number;
  seconds: number;
  budget: number;
  background_jobs: boolean;
  error_samples: string[];
  new_connections: number;
  connect_p50_ms: number;
  provision_s: number;
  /** One new connection on the idle server (machine marker, see machine.ts). */
  idle_connect_ms: number;
  /** Huge pages in use on the machine while it ran (see machine.ts). */
  huge_pages_mb: number;
  /**
   * Busy CPU time of the whole machine (all processes, PostgreSQL's included) per request,
   * and this process's share: Emily's server and the load clients, which run in it too.
   */
  cpu_ms_per_request: number;
  node_cpu_ms_per_request: number;
  /** The machine's 1-minute load average before and after the measured run (it is shared). */
  load_avg_before: number;
  load_avg_after: number;
  cpus: number;
}

const MESSAGES = [
  'I started learning the cello last week, it is harder than I thought.',
  'My sister lives in Lisbon and works as an architect.',
  'I prefer green tea in the evening, never coffee after five.',
  'My manager moved the deadline to Friday again.',
  'I think I prefer running in the morning now.',
  'We are planning a trip to Porto in the spring.',
];
const QUERIES = ['what do I drink in the evening', 'where does my sister live', 'what instrument am I learning', 'when is the deadline', 'trip plans', 'running'];

/**
 * Server mode under load: N accounts (each its own database and role) on one embedded
 * PostgreSQL, M concurrent HTTP clients doing chat turns (instant in-process model) and
 * memory searches through the real server, with the pools capped by the connection budget.
 */
export async function benchLoad(opts: LoadBenchOptions = {}): Promise<LoadBenchResult> {
  const users = opts.users ?? 600;
  // Closed-loop clients: twice the cores keeps every core busy with about one request
  // waiting behind it. Far more only measures the length of the queue.
  const concurrency = opts.concurrency ?? Math.max(1, 2 * os.availableParallelism());
  const seconds = opts.seconds ?? 30;
  // Below 60: a closed connection's backend lingers in pg_stat_activity for a moment after
  // its budget slot is handed to the next one, so the server briefly counts a few more.
  const budget = opts.budget ?? MULTI_USER_BUDGET;
  return withScratchEmily({ budget, perUserMax: 2, maxConnections: 100 }, async (emily) => {
    const background = opts.background === false ? undefined : backgroundService(emily);
    const chat = chatService(emily, { fixedModel: new InstantModel() });
    const server = await startMultiUserServer({ emily, services: { memory: memoryService(emily), chat, background }, rendererDir: rendererDist(), log: false });
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    try {
      const t0 = process.hrtime.bigint();
      const limit = pLimit(2);
      let made = 0;
      const password = randomBytes(12).toString('base64url');
      const userIds: string[] = [];
      const tokens = await Promise.all(
        Array.from({ length: users }, (_, i) =>
          limit(async () => {
            const a = await server.accounts.create(`load-user-${i}`, password);
            userIds[i] = a.userId;
            if (++made % 50 === 0) progress(`accounts ${made}/${users}`);
            return server.sessions.create(a.userId);
          }),
        ),
      );
      const provisionS = elapsedMs(t0) / 1000;
      await emily.spares.settle();
      await withAdminClient(emily.cluster.admin(), 'postgres', (c) => c.query('CHECKPOINT'));
      const idle = await idleConnectMs(emily, userIds[0]!);
      const call = (token: string, method: string, input: unknown) => post(agent, server.port, token, method, input);

      // Every account says something first, so that recall has memories and chat a conversation.
      progress(`first turns for ${users} accounts`);
      const conversations = new Array<string>(users);
      const warm = pLimit(concurrency);
      await Promise.all(
        tokens.map((token, i) =>
          warm(async () => {
            const r = await call(token, 'chat.send', { operationId: `warm-${i}-${randomBytes(4).toString('hex')}`, conversationId: null, text: MESSAGES[i % MESSAGES.length] });
            const body = r.body as { ok: boolean; value?: { conversation: { id: string } }; error?: { message: string } };
            if (!body.ok) throw new Error(`first turn failed for account ${i}: ${body.error?.message ?? r.status}`);
            conversations[i] = body.value!.conversation.id;
          }),
        ),
      );

      progress(`driving ${concurrency} clients ${opts.requests ? `for ${opts.requests} requests` : `for ${seconds} s`}`);
      const connects: number[] = [];
      emily.users.pools.budget.connects = connects;
      const sampler = startSampler(emily);
      const loadBefore = os.loadavg()[0]!;
      const cpuBefore = { machine: busyCpuMs(), node: process.cpuUsage() };
      const all: number[] = [];
      const chatMs: number[] = [];
      const recallMs: number[] = [];
      let errors = 0;
      const samples = new Set<string>();
      const started = Date.now();
      const deadline = started + seconds * 1000;
      let issued = 0;
      const more = () => (opts.requests ? issued < opts.requests : Date.now() < deadline);
      const client = async () => {
        while (more()) {
          issued++;
          const i = Math.floor(Math.random() * users);
          const isChat = Math.random() < 0.5;
          const t = process.hrtime.bigint();
          const r = isChat
            ? await call(tokens[i]!, 'chat.send', { operationId: `op-${randomBytes(8).toString('hex')}`, conversationId: conversations[i], text: MESSAGES[issued % MESSAGES.length] })
            : await call(tokens[i]!, 'memory.recall', { query: QUERIES[issued % QUERIES.length], k: 8 });
          const ms = elapsedMs(t);
          const body = r.body as { ok?: boolean; error?: { code: string; message: string } };
          if (r.status !== 200 || !body.ok) {
            errors++;
            if (samples.size < 5) samples.add(`${r.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.slice(0, 300));
            continue;
          }
          all.push(ms);
          (isChat ? chatMs : recallMs).push(ms);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, client));
      const elapsedS = (Date.now() - started) / 1000;
      const nodeCpu = process.cpuUsage(cpuBefore.node);
      const machineCpuMs = busyCpuMs() - cpuBefore.machine;
      const peaks = await sampler.stop();
      emily.users.pools.budget.connects = undefined;
      return {
        users,
        concurrency,
        requests: all.length + errors,
        p50_ms: percentile(all, 50),
        p95_ms: percentile(all, 95),
        errors,
        max_server_connections: peaks.userDatabases,
        max_server_connections_counts: "client backends of user databases (datname LIKE 'emily_u_%') in pg_stat_activity, sampled every 50 ms",
        max_all_client_connections: peaks.all,
        p99_ms: percentile(all, 99),
        chat_p95_ms: percentile(chatMs, 95),
        recall_p95_ms: percentile(recallMs, 95),
        requests_per_s: round((all.length + errors) / elapsedS, 1),
        seconds: round(elapsedS, 1),
        budget,
        background_jobs: opts.background !== false,
        error_samples: [...samples],
        /** Server connections opened during the run (600 users over 60 connections means reconnecting), and their cost. */
        new_connections: connects.length,
        connect_p50_ms: percentile(connects, 50),
        provision_s: round(provisionS, 1),
        idle_connect_ms: idle,
        huge_pages_mb: hugePagesInUseMb(),
        cpu_ms_per_request: round(machineCpuMs / Math.max(1, all.length + errors), 1),
        node_cpu_ms_per_request: round((nodeCpu.user + nodeCpu.system) / 1000 / Math.max(1, all.length + errors), 1),
        load_avg_before: round(loadBefore),
        load_avg_after: round(os.loadavg()[0]!),
        cpus: os.cpus().length,
      };
    } finally {
      agent.destroy();
      await server.close();
      await background?.stop();
      await chat.settle();
    }
  });
}

/** CPU time all cores have spent busy since boot (ms). */
function busyCpuMs(): number {
  return os.cpus().reduce((n, c) => n + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

function post(agent: http.Agent, port: number, token: string, method: string, input: unknown): Promise<{ status: number; body: unknown }> {
  const data = JSON.stringify(input);
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: `/api/${method}`, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = { ok: false, error: { code: 'INTERNAL', message: 'unreadable answer' } };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', (e) => resolve({ status: 0, body: { ok: false, error: { code: 'CLUSTER_UNAVAILABLE', message: e.message } } }));
    req.end(data);
  });
}

/** Polls pg_stat_activity: client backends of user databases, and all client backends. */
function startSampler(emily: Emily): { stop: () => Promise<{ userDatabases: number; all: number }> } {
  const peak = { userDatabases: 0, all: 0 };
  let running = true;
  const done = withAdminClient(emily.cluster.admin(), 'postgres', async (c) => {
    while (running) {
      const r = await c.query<{ u: number; a: number }>(
        "SELECT count(*) FILTER (WHERE datname LIKE 'emily\\_u\\_%')::int AS u, count(*)::int AS a FROM pg_stat_activity WHERE backend_type = 'client backend'",
      );
      peak.userDatabases = Math.max(peak.userDatabases, r.rows[0]!.u);
      peak.all = Math.max(peak.all, r.rows[0]!.a);
      await new Promise((res) => setTimeout(res, 50));
    }
  });
  return {
    stop: async () => {
      running = false;
      await done;
      return peak;
    },
  };
}
