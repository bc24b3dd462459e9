import pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { toEmilyError } from '../core/errors.js';
import { pgSsl } from './tls.js';

/**
 * Short-lived superuser connections for administrative work (provisioning, migrations,
 * doctor). They are outside the user-pool budget and always closed.
 */
export async function withAdminClient<T>(conn: AdminConnection, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...conn, ssl: pgSsl(conn.tls), database, application_name: 'emily-admin', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a dropped admin connection surfaces as a failed query
  try {
    await client.connect();
  } catch (e) {
    throw toEmilyError(e, `cannot connect to database ${database}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
