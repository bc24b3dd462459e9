import type { Emily } from '../core/emily.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { TEMPLATE_DATABASE } from '../core/ids.js';
import { withAdminClient } from '../databases/adminClient.js';
import { checkDatabase, type DatabaseCheck } from '../databases/doctor.js';
import { forEachUser, type ForEachOptions, type PerUserResult } from '../databases/forEachUser.js';
import { repairMoveLeftovers, type MoveLeftovers } from '../databases/moveRecovery.js';
import { dropUserObjects } from '../databases/provisioning.js';
import { finishInterruptedRestores } from '../databases/restoreSwap.js';

export interface ServerCheck {
  ok: boolean;
  version: string;
  vectorAvailable: string | null;
  connections: number;
  maxConnections: number;
}

export interface DoctorReport {
  ok: boolean;
  /** The primary server (holding the catalog). */
  cluster: ServerCheck;
  template: DatabaseCheck;
  /** Every server: its own check and its template. */
  servers: { name: string; ok: boolean; check?: ServerCheck; template?: DatabaseCheck; error?: string }[];
  /** Catalog rows left by an interrupted create or delete. */
  debris: { id: string; status: string; repaired: boolean }[];
  /** What an interrupted "emily move" left behind, per user. */
  moves: MoveLeftovers[];
  /** emily_u_* databases with no catalog row (on the primary server, as "emily_u_…"; elsewhere "server:emily_u_…"). */
  orphanDatabases: string[];
  /** Profiles whose restore --replace was interrupted after its swap, finished by --repair. */
  finishedRestores: string[];
  users: PerUserResult<DatabaseCheck>[];
}

async function checkServer(emily: Emily, name: string): Promise<ServerCheck> {
  return withAdminClient(emily.servers.admin(name), 'postgres', async (c) => {
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
}

export async function doctorAll(emily: Emily, opts: ForEachOptions & { repair: boolean }): Promise<DoctorReport> {
  const primary = emily.servers.primary?.() ?? emily.servers.names()[0]!;
  const servers: DoctorReport['servers'] = [];
  for (const name of emily.servers.names()) {
    try {
      await emily.servers.ready?.(name);
      const check = await checkServer(emily, name);
      const template = await checkDatabase(emily.servers.admin(name), TEMPLATE_DATABASE, { repair: opts.repair });
      servers.push({ name, ok: check.ok && template.ok, check, template });
    } catch (e) {
      if (name === primary) throw e;
      servers.push({ name, ok: false, error: `${toEmilyError(e).message}; its users cannot be reached until it is back` });
    }
  }
  const main = servers.find((s) => s.name === primary)!;
  // A restore's committed swap is finished first: the move repair would otherwise just mark its row ready.
  const finishedRestores = opts.repair ? await finishInterruptedRestores(emily) : [];
  const moves = await repairMoveLeftovers(emily, { repair: opts.repair });
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
  const orphanDatabases: string[] = [];
  for (const s of servers.filter((x) => x.check)) {
    const names = await withAdminClient(emily.servers.admin(s.name), 'postgres', async (c) =>
      (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_u\\_%' ORDER BY 1")).rows.map((r) => r.datname),
    );
    for (const d of names) if (!known.has(d)) orphanDatabases.push(s.name === primary ? d : `${s.name}:${d}`);
  }
  const users = await forEachUser(
    all.filter((u) => u.status === 'ready'),
    (u) =>
      checkDatabase(emily.servers.admin(u.server), u.dbName, { repair: opts.repair, ownerRole: u.roleName })
        .then(async (report) => {
          // The catalog says what the database holds (a profile migrated when it was opened, or repaired now).
          if (report.schemaVersion && report.schemaVersion !== u.schemaVersion) await emily.catalog.update(u.id, { schemaVersion: report.schemaVersion });
          return report;
        })
        .catch((e: unknown) => {
          // The catalog lists the profile but its server has no such database (its folder lost, dropped by hand).
          if ((e as { code?: string }).code === '3D000' || /database ".*" does not exist/.test(toEmilyError(e).message)) {
            throw new EmilyError(
              'NOT_FOUND',
              `the database of "${u.displayName}" (${u.dbName}) is missing from its server; "emily backups list --user ${u.id}" shows its backups and "emily restore <backup>" brings one back as a new profile, and "emily users delete ${u.id}" removes the broken one`,
              { cause: e },
            );
          }
          throw e;
        }),
    { concurrency: opts.concurrency, onEach: opts.onEach },
  );
  const ok = servers.every((s) => s.ok) && users.every((u) => u.ok && u.value?.ok) && debris.every((d) => d.repaired) && moves.every((m) => m.repaired || m.running);
  return { ok, cluster: main.check!, template: main.template!, servers, debris, moves, orphanDatabases, finishedRestores, users };
}
