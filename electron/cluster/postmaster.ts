import fs from 'node:fs';
import path from 'node:path';
import { processAlive } from '../core/processAlive.js';

/**
 * postmaster.pid tells us whether a server already runs in a data folder (started by the
 * desktop app, another `emily` command, or orphaned by a killed run) and on which port.
 */
export interface PostmasterInfo {
  pid: number;
  port: number;
  alive: boolean;
  /** The live process is a postgres server (not a recycled pid of something else). */
  isPostgres: boolean;
}

export function readPostmaster(pgdata: string): PostmasterInfo | null {
  const file = path.join(pgdata, 'postmaster.pid');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, port: 0, alive: false, isPostgres: false };
  const alive = processAlive(pid);
  return { pid, port: Number.isInteger(port) ? port : 0, alive, isPostgres: alive && looksLikePostgres(pid) };
}

/**
 * Removes the lock files of a server known to be dead: postmaster.pid and the socket lock
 * files beside it. PostgreSQL reclaims them itself when their pid is gone, but not when the
 * pid still answers: a killed server not yet reaped by its parent (a zombie), or a pid
 * reused by another program.
 */
export function removeStaleLockFiles(pgdata: string): void {
  fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
  for (const name of fs.readdirSync(pgdata)) {
    if (/^\.s\.PGSQL\.\d+\.lock$/.test(name)) fs.rmSync(path.join(pgdata, name), { force: true });
  }
}


function looksLikePostgres(pid: number): boolean {
  if (process.platform !== 'linux') return true; // no /proc: trust the pid file
  let cmd: string;
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // unreadable (hidepid, gone meanwhile): never call a server someone else's
  }
  return /postgres/.test(cmd);
}
