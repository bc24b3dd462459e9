import type { Emily } from '../core/emily.js';
import { toEmilyError } from '../core/errors.js';
import { withAdminClient } from '../databases/adminClient.js';
import { describeServer } from '../databases/serverConfig.js';

export interface ServerListing {
  name: string;
  kind: 'embedded' | 'external';
  primary: boolean;
  /** host:port only: credentials are never printed. */
  address: string;
  reachable: boolean;
  error?: string;
  version?: string;
  /** Users whose database lives there (any status). */
  users: number;
  /** Client connections open on the server right now (all processes). */
  connections?: number;
  maxConnections?: number;
  walLevel?: string;
  /** This process's pool budget on that server (once it was reached). */
  budget?: number;
}

export async function listServers(emily: Emily): Promise<ServerListing[]> {
  const counts = await emily.catalog.countsByServer();
  const primary = emily.servers.primary?.() ?? emily.servers.names()[0];
  return Promise.all(
    emily.servers.names().map(async (name): Promise<ServerListing> => {
      const admin = emily.servers.admin(name);
      const base = { name, kind: emily.servers.kind?.(name) ?? 'embedded', primary: name === primary, address: describeServer(admin), users: counts.get(name) ?? 0 };
      try {
        await emily.servers.ready?.(name);
        const budget = emily.users.pools.budgetOf(name).capacity; // capped by max_connections, known once ready
        return await withAdminClient(admin, 'postgres', async (c) => {
          const s = await c.query<{ name: string; setting: string }>("SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'max_connections', 'wal_level')");
          const get = (n: string) => s.rows.find((r) => r.name === n)?.setting;
          const conns = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'");
          return { ...base, budget, reachable: true, version: get('server_version'), connections: conns.rows[0]!.n, maxConnections: Number(get('max_connections')), walLevel: get('wal_level') };
        });
      } catch (e) {
        return { ...base, reachable: false, error: toEmilyError(e).message };
      }
    }),
  );
}
