import type { Emily } from '../core/emily.js';
import { TEMPLATE_DATABASE } from '../core/ids.js';
import { withAdminClient } from '../databases/adminClient.js';
import { checkDatabase, type DatabaseCheck } from '../databases/doctor.js';
import { forEachUser, type PerUserResult } from '../databases/forEachUser.js';
import { dropUserObjects } from '../databases/provisioning.js';
import { finishInterruptedRestores } from '../portability/restoreBackup.js';

export interface DoctorReport {
  ok: boolean;
  cluster: { ok: boolean; version: string; vectorAvailable: string | null; connections: number; maxConnections: number };
  template: DatabaseCheck;
  /** Catalog rows left by an interrupted create or delete. */
  debris: { id: string; status: string; repaired: boolean }[];
  /** emily_u_* databases with no catalog row. */
  orphanDatabases: string[];
  /** Profiles whose restore --replace was interrupted after its swap, finished by --repair. */
  finishedRestores: string[];
  users: PerUserResult<DatabaseCheck>[];
}

export async function doctorAll(emily: Emily, opts: { repair: boolean; concurrency?: number }): Promise<DoctorReport> {
  const admin = emily.cluster.admin();
  const cluster = await withAdminClient(admin, 'postgres', async (c) => {
    const v = await c.query<{ server_version: string }>('SHOW server_version');
    const ext = await c.query<{ default_version: string }>("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
    const conns = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = $1', ['client backend']);
    const max = await c.query<{ max_connections: string }>('SHOW max_connections');
    return {
      ok: ext.rowCount === 1,
      version: v.rows[0]!.server_version,
      vectorAvailable: ext.rows[0]?.default_version ?? null,
      connections: conns.rows[0]!.n,
      maxConnections: Number(max.rows[0]!.max_connections),
    };
  });
  const template = await checkDatabase(admin, TEMPLATE_DATABASE, { repair: opts.repair });
  const finishedRestores = opts.repair ? await finishInterruptedRestores(emily) : [];
  const all = await emily.catalog.list({ includeAll: true });
  const debris: DoctorReport['debris'] = [];
  for (const u of await emily.catalog.debris()) {
    let repaired = false;
    if (opts.repair) {
      await dropUserObjects(emily, u);
      await emily.catalog.remove(u.id);
      repaired = true;
    }
    debris.push({ id: u.id, status: u.status, repaired });
  }
  const known = new Set(all.map((u) => u.dbName));
  const orphanDatabases = await withAdminClient(admin, 'postgres', async (c) =>
    (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_u\\_%' ORDER BY 1")).rows.map((r) => r.datname).filter((d) => !known.has(d)),
  );
  const users = await forEachUser(
    all.filter((u) => u.status === 'ready'),
    (u) => checkDatabase(emily.servers.admin(u.server), u.dbName, { repair: opts.repair, ownerRole: u.roleName }),
    { concurrency: opts.concurrency },
  );
  const ok = cluster.ok && template.ok && users.every((u) => u.ok && u.value?.ok) && debris.every((d) => d.repaired);
  return { ok, cluster, template, debris, orphanDatabases, finishedRestores, users };
}
