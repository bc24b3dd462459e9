import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { EmilyError } from '../core/errors.js';
import { withAdminClient } from '../databases/adminClient.js';
import type { ServerTls } from '../databases/tls.js';
import { ADMIN_ROLE } from '../core/ids.js';
import { homeLayout, type HomeLayout } from '../core/paths.js';
import { hasPgvector, locateBinaries, type PostgresBinaries } from './binaries.js';
import { freePort, portInUse } from './freePort.js';
import { withHomeLock } from './homeLock.js';
import { readPostmaster, removeStaleLockFiles } from './postmaster.js';
import { confString } from './confString.js';
import { HBA_FILE, hbaRules } from './hba.js';
import { sharedBuffersMb } from './memorySettings.js';
import { liveSocketDir, socketDirFor, socketDirSetting } from './localSocket.js';
import { loadOrCreateSecrets, type ClusterSecrets } from './secrets.js';
import { chownForServer, serverUser, type ServerUser } from './serverUser.js';
import { processAlive } from '../core/processAlive.js';

const run = promisify(execFile);

export interface ClusterOptions {
  home: string;
  /** Fixed port (EMILY_PG_PORT); otherwise a free one is chosen at each start. */
  port?: number;
  maxConnections?: number;
  binaries?: PostgresBinaries;
}

export interface AdminConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The embedded server's Unix-domain socket directory, for this machine's own connections. */
  socketDir?: string;
  /** TLS, as an external server's URL asks (sslmode). */
  tls?: ServerTls;
}

/**
 * The embedded PostgreSQL 15 server in Emily's data folder. A server already running
 * there (desktop app, another CLI, an orphan of a killed run) is attached to rather
 * than started twice; only a server we started is stopped by stop().
 */
export class EmbeddedCluster {
  readonly layout: HomeLayout;
  readonly secrets: ClusterSecrets;
  private readonly bins: PostgresBinaries;
  private readonly user: ServerUser | undefined;
  private readonly opts: ClusterOptions;
  private port = 0;
  private startedHere = false;
  private socket: { port: number; dir: string | undefined } | undefined;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.layout = homeLayout(opts.home);
    this.bins = opts.binaries ?? locateBinaries();
    if (!hasPgvector(this.bins)) {
      throw new EmilyError('EXTENSION_MISSING', `pgvector is not installed in the embedded PostgreSQL at ${this.bins.root}; run "npm run setup" (scripts/build-pgvector.sh)`);
    }
    this.user = serverUser();
    ensureHome(this.layout.home);
    // A home that has a cluster and lost its secrets cannot log in to it: say so, never replace them.
    this.secrets = loadOrCreateSecrets(this.layout.secretsFile, { mustExist: fs.existsSync(path.join(this.layout.pgdata, 'PG_VERSION')) || fs.existsSync(path.join(this.layout.home, 'cluster-created')) });
  }

  get running(): boolean {
    return this.port !== 0;
  }

  get ownsServer(): boolean {
    return this.startedHere;
  }

  admin(): AdminConnection {
    if (!this.port) throw new EmilyError('CLUSTER_UNAVAILABLE', 'the database server is not running');
    if (this.socket?.port !== this.port) this.socket = { port: this.port, dir: liveSocketDir(this.layout.pgdata, this.port) };
    return { host: '127.0.0.1', port: this.port, user: ADMIN_ROLE, password: this.secrets.adminPassword, socketDir: this.socket.dir };
  }

  async start(): Promise<{ attached: boolean; port: number }> {
    return withHomeLock(this.layout.home, async () => {
      const r = await this.startLocked();
      // Announced before the lock is released, so the process that started the server
      // cannot take it for unused in the moment before this one first connects.
      if (r.attached) this.presence.announce();
      return r;
    });
  }

  private async startLocked(): Promise<{ attached: boolean; port: number }> {
    await this.ensureInitialised();
    const existing = readPostmaster(this.layout.pgdata);
    if (existing) {
      if (existing.alive && existing.isPostgres && existing.port > 0) {
        if (await this.answers(existing.port, 10_000)) {
          this.port = existing.port;
          return { attached: true, port: this.port };
        }
        // A hung or half-dead server from an earlier run: stop it before starting afresh.
        await this.pgCtl(['stop', '-D', this.layout.pgdata, '-m', 'immediate', '-w', '-t', '20']).catch(() => undefined);
      }
      // Dead, or its pid now belongs to another program (pids are reused after a reboot).
      const now = readPostmaster(this.layout.pgdata);
      if (!now?.alive || !now.isPostgres) removeStaleLockFiles(this.layout.pgdata);
    }
    const fixed = this.opts.port;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = fixed ?? (await freePort());
      if (fixed && (await portInUse(fixed))) {
        throw new EmilyError('PORT_IN_USE', `port ${fixed} (EMILY_PG_PORT) is already in use on 127.0.0.1; free it or choose another port`);
      }
      try {
        await this.pgCtl(['start', '-w', '-t', '60', '-D', this.layout.pgdata, '-l', this.logFile(), '-o', `-p ${port}`]);
        this.port = port;
        this.startedHere = true;
        fs.rmSync(this.unownedMarker, { force: true });
        return { attached: false, port };
      } catch (e) {
        const tail = this.logTail();
        if (!fixed && /could not bind|Address already in use/i.test(tail)) continue;
        if (/lock file .* already exists/i.test(tail)) {
          // Another process started the server between our check and our start: attach to it.
          const now = readPostmaster(this.layout.pgdata);
          if (now?.alive && now.port && (await this.answers(now.port, 10_000))) {
            this.port = now.port;
            return { attached: true, port: now.port };
          }
        }
        throw new EmilyError('CLUSTER_START_FAILED', `the database server did not start. Last server log lines:\n${tail || '(empty)'}\nCheck free disk space and the data folder ${this.layout.pgdata}; "emily doctor" can help.`, { cause: e });
      }
    }
    throw new EmilyError('PORT_IN_USE', 'could not find a free port for the database server after 3 attempts');
  }

  /** No server process runs in the data folder any more (it was killed, crashed, or stopped by its owner). */
  get serverGone(): boolean {
    if (this.port === 0) return false;
    const pm = readPostmaster(this.layout.pgdata);
    return !(pm?.alive && pm.isPostgres);
  }

  /**
   * Starts the server again on the same port after it went away under us, so that every
   * pool, pid file and attached process finds it where it was; crash recovery replays the
   * WAL. Whoever restarts it owns it from then on. Returns false when another process was
   * quicker (we attach to its server).
   */
  async revive(): Promise<boolean> {
    if (!this.serverGone) return false;
    // PostgreSQL replaces a dead server's pid file itself, safely against a second process
    // reviving at the same moment (the loser fails and attaches below); only a pid reused
    // by another program would stop it.
    const stale = readPostmaster(this.layout.pgdata);
    if (stale?.alive && !stale.isPostgres) removeStaleLockFiles(this.layout.pgdata);
    try {
      await this.pgCtl(['start', '-w', '-t', '60', '-D', this.layout.pgdata, '-l', this.logFile(), '-o', `-p ${this.port}`]);
    } catch (e) {
      const now = readPostmaster(this.layout.pgdata);
      if (now?.alive && now.port === this.port && (await this.answers(this.port, 10_000))) return false;
      throw new EmilyError('CLUSTER_START_FAILED', `the database server stopped and could not be started again on port ${this.port}. Last server log lines:\n${this.logTail() || '(empty)'}`, { cause: e });
    }
    this.startedHere = true;
    return true;
  }

  private get presence(): Presence {
    return new Presence(path.join(this.layout.home, 'attached'));
  }

  /** Left by a process that started the server and went while others still used it. */
  private get unownedMarker(): string {
    return path.join(this.layout.home, 'server-unowned');
  }

  /**
   * Leaving: stops the server this process started unless another process is using it (a
   * second CLI command or the app attached meanwhile). It then keeps running for them, and
   * the last of them to leave stops it. Returns whether it stopped.
   */
  async stopIfUnused(): Promise<boolean> {
    if (!this.port) return false;
    this.presence.withdraw();
    if (!this.startedHere && !fs.existsSync(this.unownedMarker)) {
      this.port = 0;
      return false;
    }
    return withHomeLock(this.layout.home, async () => {
      const connected = await withAdminClient(this.admin(), 'postgres', async (c) =>
        Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")).rows[0]!.n),
      ).catch(() => 0);
      if (connected > 0 || this.presence.others() > 0) {
        if (this.startedHere) fs.writeFileSync(this.unownedMarker, '', { mode: 0o600 });
        this.port = 0;
        this.startedHere = false;
        return false;
      }
      await this.stop({ force: true });
      fs.rmSync(this.unownedMarker, { force: true });
      return true;
    });
  }

  /** This process is done with the server and leaves it running, whoever started it. */
  detach(): void {
    this.presence.withdraw();
    this.port = 0;
    this.startedHere = false;
  }

  async stop(opts: { force?: boolean } = {}): Promise<void> {
    this.presence.withdraw();
    if (!this.port) return;
    if (this.startedHere || opts.force) {
      await this.pgCtl(['stop', '-D', this.layout.pgdata, '-m', 'fast', '-w', '-t', '60']).catch((e: unknown) => {
        if (readPostmaster(this.layout.pgdata)?.alive) throw new EmilyError('INTERNAL', 'the database server did not stop', { cause: e });
      });
    }
    this.port = 0;
    this.startedHere = false;
  }

  private async ensureInitialised(): Promise<void> {
    const pgdata = this.layout.pgdata;
    // Written once a cluster exists here: a home that had one and lost it is a mishap to
    // report (a folder moved, a drive not mounted), not a first start to begin afresh.
    const created = path.join(this.layout.home, 'cluster-created');
    if (fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
      const version = fs.readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8').trim();
      if (version !== '15') {
        throw new EmilyError('DATA_DIR_INVALID', `the data folder ${pgdata} holds a PostgreSQL ${version} cluster; this Emily runs PostgreSQL 15`);
      }
      this.ensureConfig();
      if (!fs.existsSync(created)) fs.writeFileSync(created, '', { mode: 0o600 });
      return;
    }
    if (fs.existsSync(created) && (!fs.existsSync(pgdata) || fs.readdirSync(pgdata).length === 0)) {
      throw new EmilyError('DATA_DIR_INVALID', `the database folder ${pgdata} is missing, but ${this.layout.home} held Emily's databases before; if it was moved or lives on a drive that is not mounted, put it back. To start afresh instead, move ${this.layout.home} aside (its backups folder can be restored afterwards)`);
    }
    if (fs.existsSync(pgdata) && fs.readdirSync(pgdata).length > 0) {
      throw new EmilyError('DATA_DIR_INVALID', `the data folder ${pgdata} is not empty but holds no PostgreSQL cluster (PG_VERSION is missing); move it aside, or restore it from a backup`);
    }
    fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
    fs.chmodSync(pgdata, 0o700);
    chownForServer(pgdata, this.user);
    const pwfile = path.join(os.tmpdir(), `emily-pw-${randomBytes(8).toString('hex')}`);
    fs.writeFileSync(pwfile, `${this.secrets.adminPassword}\n`, { mode: 0o600 });
    chownForServer(pwfile, this.user);
    try {
      await this.exec(this.bins.initdb, [
        '-D', pgdata, '-U', ADMIN_ROLE, '--auth=scram-sha-256', `--pwfile=${pwfile}`,
        '-E', 'UTF8', '--locale=C', '--lc-messages=C', '--no-instructions',
      ]);
    } catch (e) {
      fs.rmSync(pgdata, { recursive: true, force: true });
      throw new EmilyError('CLUSTER_START_FAILED', `initdb failed: ${stderrOf(e)}`, { cause: e });
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
    fs.appendFileSync(path.join(pgdata, 'postgresql.conf'), "\ninclude_if_exists = 'emily.conf'\n");
    this.ensureConfig();
    fs.writeFileSync(created, '', { mode: 0o600 });
  }

  /** Our settings live in their own file so an upgrade can rewrite them without touching the user's. */
  private ensureConfig(): void {
    const socketDir = socketDirFor(this.layout.pgdata);
    // Our login rules matter only where there is a socket; elsewhere (Windows) initdb's
    // pg_hba.conf stays in force and no path has to survive the server's code page.
    const hbaFile = socketDir ? path.resolve(this.layout.pgdata, HBA_FILE) : undefined;
    const conf = [
      "listen_addresses = '127.0.0.1'",
      socketDirSetting(socketDir),
      `max_connections = ${this.opts.maxConnections ?? 100}`,
      `shared_buffers = '${sharedBuffersMb()}MB'`,
      "password_encryption = 'scram-sha-256'",
      // The launcher visits each database once per naptime, starting a worker (a new
      // backend) every naptime/N: with 600 small, mostly idle user databases the default
      // minute meant ten a second.
      "autovacuum_naptime = '5min'",
      // PostgreSQL advises preloading a library that most sessions use, and nearly every
      // session of a user database uses pgvector (recall, learning). Forked backends then
      // inherit it instead of loading and initialising it on first use: 1.4 ms of CPU saved
      // per new backend that uses a vector, 0.3 ms more for one that does not (measured in
      // docs/performance.md), and 600 users over 60 connections means new backends often.
      // The constructor has checked that the library is installed.
      "shared_preload_libraries = 'vector'",
      ...(hbaFile ? [`hba_file = ${confString(hbaFile)}`] : []),
      // "emily move" copies a user's database to another server by logical replication.
      'wal_level = logical',
      'max_replication_slots = 10',
      'max_wal_senders = 10',
      // Failed statements may carry role passwords: never echo statements into the log.
      'log_min_error_statement = panic',
      "log_line_prefix = '%m [%p] '",
      '',
    ].join('\n');
    // The rules first: a server started in between must find the file emily.conf names.
    if (hbaFile) this.writeOwnFile(HBA_FILE, hbaRules());
    this.writeOwnFile('emily.conf', conf);
  }

  private writeOwnFile(name: string, text: string): void {
    const file = path.join(this.layout.pgdata, name);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
      fs.writeFileSync(file, text, { mode: 0o600 });
      chownForServer(file, this.user);
    }
  }

  private logFile(): string {
    return path.join(this.layout.pgdata, 'server.log');
  }

  private logTail(): string {
    try {
      return fs.readFileSync(this.logFile(), 'utf8').trim().split('\n').slice(-8).join('\n');
    } catch {
      return '';
    }
  }

  private async answers(port: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: ADMIN_ROLE, password: this.secrets.adminPassword, database: 'postgres', connectionTimeoutMillis: 2000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch (e) {
        // 57P03: starting up; keep trying until the deadline. Anything else: not ours to use.
        if ((e as { code?: string }).code !== '57P03' && (e as { code?: string }).code !== 'ECONNREFUSED') return false;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  private pgCtl(args: string[]): Promise<unknown> {
    return this.exec(this.bins.pgCtl, args);
  }

  private exec(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(file, args, {
      uid: this.user?.uid,
      gid: this.user?.gid,
      cwd: this.user ? '/' : undefined,
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      timeout: 120_000,
    });
  }
}

/**
 * mkdir -p, one folder at a time. Node's recursive mkdir loops for ever where mkdir answers
 * ENOENT under a folder that exists (EMILY_HOME=/proc/x hung every command).
 */
function makeFolders(dir: string, mode: number): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d) && d !== path.dirname(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function ensureHome(home: string): void {
  const root = process.getuid?.() === 0;
  // Checked before anything is made: a refused data folder leaves no folders behind.
  if (root) assertServerCanPass(firstExisting(path.dirname(path.resolve(home))), home);
  try {
    // As root, folders made on the way must let the server's own user pass (not read).
    makeFolders(home, root ? 0o711 : 0o700);
  } catch (e) {
    throw new EmilyError('DATA_DIR_INVALID', `cannot create the data folder ${home}: ${(e as Error).message}; set EMILY_HOME to a writable folder`, { cause: e });
  }
  const st = fs.statSync(home);
  if (!st.isDirectory()) throw new EmilyError('DATA_DIR_INVALID', `${home} is not a folder; set EMILY_HOME to a folder`);
  // The server user must traverse (not read) the home to reach pgdata.
  fs.chmodSync(home, root ? 0o711 : 0o700);
}

function firstExisting(dir: string): string {
  return fs.existsSync(dir) || dir === path.dirname(dir) ? dir : firstExisting(path.dirname(dir));
}

/** Running as root, the server runs as "postgres": every folder above the data folder must let it pass. */
export function assertServerCanPass(dir: string, home: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if (!(st.mode & 0o001)) {
      throw new EmilyError(
        'DATA_DIR_INVALID',
        `the database server runs as the "postgres" user (Emily runs as root) and cannot pass through ${d} (mode ${(st.mode & 0o777).toString(8)}), which holds the data folder ${home}; set EMILY_HOME to a folder it can reach, such as /var/lib/emily, or let others pass with "chmod o+x ${d}"`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

function stderrOf(e: unknown): string {
  const s = (e as { stderr?: string }).stderr;
  return (s && s.trim()) || (e as Error).message;
}

/** The processes attached to a server they did not start: one file per pid, while they run. */
class Presence {
  constructor(private readonly dir: string) {}

  private get mine(): string {
    return path.join(this.dir, String(process.pid));
  }

  announce(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(this.mine, '', { mode: 0o600 });
  }

  withdraw(): void {
    fs.rmSync(this.mine, { force: true });
  }

  /** Other processes still attached; files of processes that died are removed. */
  others(): number {
    if (!fs.existsSync(this.dir)) return 0;
    let n = 0;
    for (const name of fs.readdirSync(this.dir)) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      if (processAlive(pid)) n++;
      else fs.rmSync(path.join(this.dir, name), { force: true });
    }
    return n;
  }
}

