import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { EmilyError } from '../core/errors.js';

/**
 * PostgreSQL refuses to run as root. When we are root (CI, containers) the server runs
 * as a dedicated `postgres` system user, created if missing; otherwise as ourselves.
 */
export interface ServerUser {
  uid: number;
  gid: number;
}

export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let ids = lookup();
  if (!ids) {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    } catch (e) {
      throw new EmilyError('CLUSTER_START_FAILED', 'running as root, Emily needs a "postgres" system user to run the database server and could not create one (useradd failed); create it or run Emily as a normal user', { cause: e });
    }
    ids = lookup();
  }
  if (!ids) throw new EmilyError('CLUSTER_START_FAILED', 'could not find the "postgres" system user after creating it');
  return ids;
}

function lookup(): ServerUser | undefined {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) return undefined;
  const parts = line.split(':');
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** Gives the server user a path we created (data folder, its parents' traversal is the caller's job). */
export function chownForServer(p: string, user: ServerUser | undefined): void {
  if (user) fs.chownSync(p, user.uid, user.gid);
}
