import type { Emily } from '../core/emily.js';
import { withAdminClient } from '../databases/adminClient.js';
import { ensureTemplate, withSetupLock } from '../databases/template.js';
import { forEachUser, type ForEachOptions, type PerUserResult } from '../databases/forEachUser.js';
import { loadMigrations, migrateDatabase, type MigrateResult } from '../databases/migrations.js';

export interface MigrateReport {
  latest: number;
  template: { ok: boolean; version?: number; applied?: number[]; error?: string };
  users: PerUserResult<MigrateResult>[];
  failed: number;
}

/** Migrates the template and every user database on every server, each reported on its own. */
export async function migrateAll(emily: Emily, opts: ForEachOptions = {}): Promise<MigrateReport> {
  const migrations = loadMigrations('user');
  const template: MigrateReport['template'] = { ok: true };
  for (const server of emily.servers.names()) {
    try {
      const admin = emily.servers.admin(server);
      const r = await withSetupLock(admin, () => ensureTemplate(admin));
      template.version = r?.to ?? migrations.length;
      template.applied = [...(template.applied ?? []), ...(r?.applied ?? [])];
    } catch (e) {
      template.ok = false;
      template.error = (e as Error).message;
    }
  }
  emily.spares.kick(); // spares of the old template are replaced
  const users = await forEachUser(
    await emily.catalog.list(),
    async (u) => {
      const r = await withAdminClient(emily.servers.admin(u.server), u.dbName, (c) => migrateDatabase(c, migrations, { ownerRole: u.roleName, label: `the database of "${u.displayName}" (${u.id})` }));
      await emily.catalog.update(u.id, { schemaVersion: r.to });
      return r;
    },
    opts,
  );
  return { latest: migrations.length, template, users, failed: users.filter((u) => !u.ok).length + (template.ok ? 0 : 1) };
}
