import type { Emily } from '../core/emily.js';
import { quoteIdent, userRoleName } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import type { UserRecord } from './catalog.js';

/**
 * restore --replace swaps a verified copy in under a profile's name; the old database is
 * renamed aside under a name that says which profile and which copy, so a swap a crash
 * interrupted can be finished later (at open, or by doctor --repair).
 */
const ASIDE_RE = /^emily_replaced_([a-z][a-z0-9]{11})_([a-z][a-z0-9]{11})$/;

export function asideName(liveId: string, freshId: string): string {
  return `emily_replaced_${liveId}_${freshId}`;
}

/** After the swap committed: the copy's objects to the profile's role, then the old copy and the copy's own role go. Idempotent. */
export async function finishSwap(emily: Emily, live: UserRecord, freshId: string, aside: string): Promise<void> {
  const admin = emily.servers.admin(live.server);
  const fresh = await emily.catalog.get(freshId).catch(() => undefined);
  const freshRole = fresh?.roleName ?? userRoleName(freshId);
  await withAdminClient(admin, live.dbName, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [freshRole]);
    if (exists.rowCount) await c.query(`REASSIGN OWNED BY ${quoteIdent(freshRole)} TO ${quoteIdent(live.roleName)}`);
  });
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(aside)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(freshRole)}`);
  });
  if (fresh) await emily.catalog.remove(fresh.id);
  await emily.catalog.update(live.id, fresh ? { status: 'ready', schemaVersion: fresh.schemaVersion } : { status: 'ready' });
}

/**
 * Finishes restores whose swap committed but whose clean-up a crash interrupted (found by
 * their renamed-aside databases); answers which profiles it finished.
 */
export async function finishInterruptedRestores(emily: Emily): Promise<string[]> {
  const done: string[] = [];
  for (const server of emily.servers.names()) {
    const admin = emily.servers.admin(server);
    const names = await withAdminClient(admin, 'postgres', async (c) =>
      (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_replaced\\_%'")).rows.map((r) => r.datname),
    ).catch(() => [] as string[]); // an unreachable server is reported by doctor's server check
    for (const name of names) {
      const m = ASIDE_RE.exec(name);
      if (!m) continue;
      const live = await emily.catalog.get(m[1]!).catch(() => undefined);
      if (!live || live.server !== server) continue;
      await finishSwap(emily, live, m[2]!, name);
      done.push(live.id);
    }
  }
  return done;
}
