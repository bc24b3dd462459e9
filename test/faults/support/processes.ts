import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPostmaster } from '../../../electron/cluster/postmaster.js';

const WORKER = 'test/faults/support/faultWorker.ts';

/** A worker process and the lines it has printed so far. */
export interface Worker {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line (already printed or still to come) that matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGKILL for the worker and every process it started (pg_restore, pg_dump…), as a crash of the app would. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export function startWorker(args: string[], env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMILY_SPARE_DATABASES: '0', ...env } });
  const lines: string[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      for (const l of listeners) l();
      resolve(code);
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const l of lines) {
            const m = re.exec(l);
            if (m) {
              done();
              resolve(m);
              return;
            }
          }
          if (exitCode !== undefined) {
            done();
            reject(new Error(`worker exited (${exitCode}) before printing ${re}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`worker did not print ${re} within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.slice(-3000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      const tree = descendants(child.pid!);
      child.kill('SIGKILL');
      for (const pid of tree) killQuietly(pid);
      await exited;
    },
  };
}

/** Every live process below pid (from /proc), deepest last. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Waits (polling a cheap condition, never a fixed sleep) up to timeoutMs. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGKILL of the postmaster of a data folder: the server dies as in a power cut (its backends follow). */
export async function killPostmaster(pgdata: string): Promise<number> {
  const pm = readPostmaster(pgdata);
  if (!pm?.alive) throw new Error('no live postmaster to kill');
  const victims = serverProcesses(pgdata);
  process.kill(pm.pid, 'SIGKILL');
  // Its backends notice the postmaster's death and exit. Wait for these very processes: a
  // supervisor may already have started a new server in the folder.
  await until('the postmaster and its orphaned backends to exit', () => victims.every((pid) => !running(pid)));
  return pm.pid;
}

/** Alive and not a zombie waiting to be reaped (a killed postmaster's parent is init, which may take its time). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Processes of the server of a data folder (postmaster and backends run with it as their cwd). */
export function serverProcesses(pgdata: string): number[] {
  const dir = fs.realpathSync(pgdata);
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres') && fs.readlinkSync(`/proc/${pid}/cwd`) === dir;
    } catch {
      return false;
    }
  });
}

export function newHome(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `emily-${prefix}-`));
}

/** Stops whatever server a test left running in home and removes it. */
export async function disposeHome(home: string): Promise<void> {
  const pgdata = path.join(home, 'pgdata');
  const pm = readPostmaster(pgdata);
  if (pm?.alive) {
    killQuietly(pm.pid, 'SIGINT');
    await until('the server to stop', () => !readPostmaster(pgdata)?.alive, 30_000).catch(() => killQuietly(pm.pid, 'SIGKILL'));
  }
  fs.rmSync(home, { recursive: true, force: true });
}
