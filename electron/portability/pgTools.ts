import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EmilyError } from '../core/errors.js';
import { libpqTlsEnv, type ServerTls } from '../databases/tls.js';

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql';

export interface ToolTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  tls?: ServerTls;
}

const MAJOR = 15;
const found = new Map<PgTool, string>();

/**
 * Where pg_dump / pg_restore / psql of the server's major version live: EMILY_PG_TOOLS (a
 * packaged app points it at the copies bundled next to the embedded server), EMILY_PG_BIN
 * (the embedded bin/ folder), Debian's versioned folder, then PATH. Each candidate must say
 * it is version 15: a pg_dump 16 writes archives a 15 server's tools cannot read.
 */
export function toolDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.EMILY_PG_TOOLS, env.EMILY_PG_BIN, `/usr/lib/postgresql/${MAJOR}/bin`, ...(env.PATH ?? '').split(path.delimiter)].filter((d): d is string => !!d);
}

export function locateTool(tool: PgTool, env: NodeJS.ProcessEnv = process.env, dirs: string[] = toolDirs(env)): string {
  const cacheable = env === process.env && arguments.length < 3;
  const hit = found.get(tool);
  if (hit && cacheable) return hit;
  const exe = process.platform === 'win32' ? '.exe' : '';
  const seen: string[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, tool + exe);
    if (!fs.existsSync(file)) continue;
    const version = toolVersion(file);
    seen.push(`${file} (${version ?? 'unreadable version'})`);
    if (version === MAJOR) {
      if (cacheable) found.set(tool, file);
      return file;
    }
  }
  const tried = seen.length ? ` Found only: ${seen.join(', ')}.` : '';
  throw new EmilyError('TOOL_MISSING', `${tool} ${MAJOR} was not found.${tried} Install the PostgreSQL ${MAJOR} client tools (Debian: apt-get install postgresql-client-${MAJOR}) or set EMILY_PG_TOOLS to the folder holding them.`);
}

function toolVersion(file: string): number | undefined {
  try {
    const out = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000, env: { LC_ALL: 'C' } });
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function connectionArgs(t: ToolTarget): string[] {
  return ['-h', t.host, '-p', String(t.port), '-U', t.user, '-d', t.database, '--no-password'];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Each stderr line as it arrives (pg_dump/pg_restore --verbose progress). */
  onStderrLine?: (line: string) => void;
  /** stdout chunks; without it stdout is discarded. */
  onStdout?: (chunk: Buffer) => void;
  /** Data to pipe into stdin. */
  stdin?: NodeJS.ReadableStream;
  password?: string;
  /** TLS of the server the tool connects to (PGSSLMODE, PGSSLROOTCERT). */
  tls?: ServerTls;
}

export interface RunResult {
  stderr: string;
}

/**
 * Runs a client tool without a shell (spawn with an argument vector, as execFile does).
 * The password travels in the child's PGPASSWORD only, never on its command line, and the
 * child gets a clean environment so a stray PGHOST/PGOPTIONS of the caller cannot redirect it.
 */
export function runTool(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', LC_MESSAGES: 'C', PGCONNECT_TIMEOUT: '15', PGAPPNAME: 'emily-portability', PATH: process.env.PATH };
  if (opts.password !== undefined) env.PGPASSWORD = opts.password;
  Object.assign(env, libpqTlsEnv(opts.tls));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, shell: false, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], signal: opts.signal, killSignal: 'SIGTERM' });
    let stderr = '';
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (stderr.length < 200_000) stderr += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onStderrLine?.(l);
    });
    child.stdout!.on('data', (d: Buffer) => opts.onStdout?.(d));
    if (opts.stdin && child.stdin) {
      child.stdin.on('error', () => undefined); // the child exiting early surfaces as its exit code
      opts.stdin.pipe(child.stdin);
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(new EmilyError('CANCELLED', `${path.basename(file)} was cancelled`, { cause: e }));
      else if (e.code === 'ENOENT') reject(new EmilyError('TOOL_MISSING', `cannot run ${file}: it does not exist; install the PostgreSQL ${MAJOR} client tools or set EMILY_PG_TOOLS`, { cause: e }));
      else reject(new EmilyError('INTERNAL', `cannot run ${file}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, sig) => {
      if (partial) opts.onStderrLine?.(partial);
      if (opts.signal?.aborted) return reject(new EmilyError('CANCELLED', `${path.basename(file)} was cancelled`));
      if (code === 0) return resolve({ stderr });
      reject(new ToolFailure(path.basename(file), code, sig, stderr));
    });
  });
}

/** A tool exited non-zero; `errorLines` holds what it said was wrong. */
export class ToolFailure extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly signalName: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(`${tool} failed (${signalName ?? `exit ${exitCode}`}): ${errorLines(stderr) || 'no message'}`);
  }
}

/** The error lines of a tool's stderr, without the verbose chatter. */
export function errorLines(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /error|fatal|could not|No space|invalid|unexpected|not a valid|does not|permission denied/i.test(l) && !/^\S+: (processing|creating|executing|launching|finished)/.test(l));
  return lines.slice(0, 6).map((l) => l.replace(/^(pg_dump|pg_restore|psql): /, '').trim()).join('; ');
}

/** True when the tool's failure was a full disk. */
export function isDiskFull(e: unknown): boolean {
  return e instanceof ToolFailure && /No space left on device|could not write|could not extend/i.test(e.stderr) && /No space left/i.test(e.stderr);
}
