import fs from 'node:fs';
import path from 'node:path';
import type { AdminConnection } from '../cluster/cluster.js';
import { SSL_MODES, type SslMode } from './tls.js';
import { EmilyError } from '../core/errors.js';

/**
 * Which PostgreSQL servers hold user databases besides (or instead of) the embedded one.
 * Two sources, the same format: EMILY_SERVERS="name=postgres://superuser:pw@host:port,…"
 * and servers.json in Emily's home ({"embedded": true, "servers": {"name": "postgres://…"}},
 * mode 0600 because it holds superuser passwords). EMILY_EMBEDDED=off (or "embedded": false)
 * leaves the embedded server out; the first external server then holds the catalog.
 * Credentials stay in memory: they are never written to a database, an export or a log,
 * and every message about a server names it by host:port only.
 */
export interface ServerSpec {
  name: string;
  admin: AdminConnection;
}

export interface ServersConfig {
  embedded: boolean;
  external: ServerSpec[];
}

/** Same rule as the catalog's servers.name CHECK. */
const NAME_RE = /^[a-z][a-z0-9_-]{0,39}$/;
export const EMBEDDED_SERVER = 'local';

export function assertServerName(value: unknown): string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    throw new EmilyError('BAD_INPUT', `"${String(value).slice(0, 40)}" is not a valid server name (lower-case letter, then up to 39 letters, digits, "_" or "-")`);
  }
  return value;
}

export function serversFile(home: string): string {
  return path.join(home, 'servers.json');
}

export function loadServersConfig(home: string, env: NodeJS.ProcessEnv = process.env): ServersConfig {
  const external: ServerSpec[] = [];
  let embedded = true;
  const file = serversFile(home);
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new EmilyError('DATA_DIR_INVALID', `${file} holds server passwords but others can read it (mode ${mode.toString(8)}); run "chmod 600 ${file}"`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new EmilyError('BAD_INPUT', `${file} is not valid JSON; expected {"servers": {"name": "postgres://user:password@host:port"}}`);
    }
    const doc = parsed as { embedded?: unknown; servers?: unknown };
    if (!doc || typeof doc !== 'object' || (doc.servers !== undefined && (typeof doc.servers !== 'object' || doc.servers === null || Array.isArray(doc.servers)))) {
      throw new EmilyError('BAD_INPUT', `${file}: expected {"servers": {"name": "postgres://user:password@host:port"}}`);
    }
    if (doc.embedded === false) embedded = false;
    for (const [name, url] of Object.entries((doc.servers ?? {}) as Record<string, unknown>)) external.push(parseServer(name, url, file));
  }
  const list = env.EMILY_SERVERS?.trim();
  if (list) {
    for (const item of list.split(',')) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new EmilyError('BAD_INPUT', 'EMILY_SERVERS: each entry must be name=postgres://user:password@host:port (entries separated by commas)');
      external.push(parseServer(item.slice(0, eq).trim(), item.slice(eq + 1).trim(), 'EMILY_SERVERS'));
    }
  }
  if (env.EMILY_EMBEDDED === 'off' || env.EMILY_EMBEDDED === '0' || env.EMILY_EMBEDDED === 'false') embedded = false;
  const seen = new Set<string>(embedded ? [EMBEDDED_SERVER] : []);
  for (const s of external) {
    if (seen.has(s.name)) throw new EmilyError('BAD_INPUT', `server "${s.name}" is listed twice${s.name === EMBEDDED_SERVER ? ' ("local" is the embedded server)' : ''}; give each server its own name`);
    seen.add(s.name);
  }
  if (!embedded && external.length === 0) throw new EmilyError('BAD_INPUT', 'the embedded server is turned off but no external server is configured; list one in EMILY_SERVERS or servers.json');
  return { embedded, external };
}

/** Parses one connection URL; messages never repeat the URL (it holds a password). */
export function parseServer(name: string, url: unknown, source: string): ServerSpec {
  assertServerName(name);
  const bad = (what: string) => new EmilyError('BAD_INPUT', `${source}: the URL of server "${name}" ${what}; expected postgres://user:password@host:port`);
  if (typeof url !== 'string') throw bad('is not a string');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('is not a valid URL');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw bad('does not start with postgres://');
  if (!u.hostname) throw bad('has no host');
  if (!u.username) throw bad('has no user');
  const port = u.port ? Number(u.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('has an invalid port');
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  for (const key of u.searchParams.keys()) {
    if (key !== 'sslmode' && key !== 'sslrootcert') throw bad(`has the parameter "${key.slice(0, 40)}", which Emily does not use (only sslmode and sslrootcert)`);
  }
  const mode = u.searchParams.get('sslmode') ?? 'disable';
  if (!SSL_MODES.includes(mode)) throw bad(`asks for sslmode=${mode.slice(0, 20)}; use require, verify-ca or verify-full (or disable): Emily does not fall back between TLS and plain connections`);
  const rootCert = u.searchParams.get('sslrootcert') ?? undefined;
  if (rootCert && !fs.existsSync(rootCert)) throw bad(`names a root certificate that does not exist (sslrootcert=${rootCert.slice(0, 200)})`);
  if (rootCert && mode !== 'verify-ca' && mode !== 'verify-full') throw bad('gives sslrootcert without sslmode=verify-ca or verify-full, which would not check it');
  const tls = mode === 'disable' ? undefined : { mode: mode as SslMode, ...(rootCert ? { rootCert } : {}) };
  return { name, admin: { host, port, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), ...(tls ? { tls } : {}) } };
}

/** How a server is named in messages and listings: never with its credentials. */
export function describeServer(admin: AdminConnection): string {
  return `${admin.host}:${admin.port}`;
}
