import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/**
 * TLS to an external PostgreSQL server, as its URL's sslmode says (libpq's names). The
 * embedded server is reached over its private socket or loopback and needs none.
 * "prefer" and "allow" are refused: node-postgres cannot fall back between TLS and plain,
 * and silently choosing one would either break or weaken what the URL asked for.
 */
export type SslMode = 'require' | 'verify-ca' | 'verify-full';
export interface ServerTls {
  mode: SslMode;
  /** PEM file of the certificate authority; the system's when omitted. */
  rootCert?: string;
}

export const SSL_MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/** node-postgres's ssl option. */
export function pgSsl(tls: ServerTls | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  const ca = tls.rootCert ? fs.readFileSync(tls.rootCert, 'utf8') : undefined;
  // verify-ca: the chain is checked, the host name is not.
  return { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...(tls.mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
}

/** The same for libpq (pg_dump, pg_restore, psql) through their environment. */
export function libpqTlsEnv(tls: ServerTls | undefined): Record<string, string> {
  if (!tls) return {};
  return { PGSSLMODE: tls.mode, ...(tls.rootCert ? { PGSSLROOTCERT: tls.rootCert } : {}) };
}
