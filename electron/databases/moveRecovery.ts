import type { Emily } from '../core/emily.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { isUserId, quoteIdent } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import type { UserRecord } from './catalog.js';
import { moveRunning, tryMoveLock } from './moveLock.js';
import { hasUnfinishedSwap } from './restoreSwap.js';
import { thawRole } from './roleFreeze.js';
import { TABLE_SYNC_SLOT, dropSlot, dropSourceObjects, dropSubscription, dropTableSyncSlots, moveObjectName } from './replication.js';

/**
 * Leftovers of an interrupted "emily move". The catalog row is the truth: the user lives
 * on the server it names (the switch is one UPDATE), so everything of theirs elsewhere is
 * a partial copy or an old original, and every emily_mv_* object is scaffolding. A row
 * still 'moving' was frozen for the switch: its role gets LOGIN back and the row 'ready'.
 * Nothing is touched while the mover still runs (it holds the user's move lock).
 */
export interface MoveLeftovers {
  userId: string;
  found: string[];
  repaired: boolean;
  /** A live process holds the user's move lock: a move or replace in progress, not debris. */
  running: boolean;
  error?: string;
}

interface Found {
  user?: UserRecord;
  items: { server: string; what: string; name: string; database?: string }[];
}

export async function scanMoveLeftovers(emily: Emily): Promise<Map<string, Found>> {
  const users = new Map((await emily.catalog.list({ includeAll: true })).map((u) => [u.id, u]));
  const found = new Map<string, Found>();
  const add = (id: string, item: Found['items'][number]) => {
    if (!isUserId(id)) return;
    let f = found.get(id);
    if (!f) found.set(id, (f = { user: users.get(id), items: [] }));
    f.items.push(item);
  };
  for (const u of users.values()) if (u.status === 'moving') add(u.id, { server: u.server, what: 'status', name: 'moving' });
  for (const server of emily.servers.names()) {
    let rows;
    try {
      rows = await withAdminClient(emily.servers.admin(server), 'postgres', async (c) => ({
        slots: (await c.query<{ n: string }>("SELECT slot_name AS n FROM pg_replication_slots WHERE slot_name LIKE 'emily\\_mv\\_%'")).rows,
        syncSlots: (await c.query<{ n: string; d: string }>("SELECT slot_name AS n, database AS d FROM pg_replication_slots WHERE database LIKE 'emily\\_u\\_%' AND slot_name ~ $1", [TABLE_SYNC_SLOT])).rows,
        subs: (await c.query<{ n: string; d: string }>("SELECT s.subname AS n, d.datname AS d FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname LIKE 'emily\\_mv\\_%'")).rows,
        moveRoles: (await c.query<{ n: string }>("SELECT rolname AS n FROM pg_roles WHERE rolname LIKE 'emily\\_mv\\_%'")).rows,
        dbs: (await c.query<{ n: string }>("SELECT datname AS n FROM pg_database WHERE datname LIKE 'emily\\_u\\_%'")).rows,
        roles: (await c.query<{ n: string }>("SELECT rolname AS n FROM pg_roles WHERE rolname LIKE 'emily\\_r\\_%'")).rows,
      }));
    } catch {
      continue; // an unreachable server is reported by doctor's server check
    }
    for (const r of rows.slots) add(r.n.slice(9), { server, what: 'replication slot', name: r.n });
    for (const r of rows.syncSlots) add(r.d.slice(8), { server, what: 'replication slot', name: r.n });
    for (const r of rows.subs) add(r.n.slice(9), { server, what: 'subscription', name: r.n, database: r.d });
    for (const r of rows.moveRoles) add(r.n.slice(9), { server, what: 'move role', name: r.n });
    for (const r of rows.dbs) {
      const u = users.get(r.n.slice(8));
      if (u && u.server !== server) add(u.id, { server, what: 'database copy', name: r.n });
    }
    for (const r of rows.roles) {
      const u = users.get(r.n.slice(8));
      if (u && u.server !== server) add(u.id, { server, what: 'role', name: r.n });
    }
  }
  return found;
}

export async function repairMoveLeftovers(emily: Emily, opts: { repair: boolean }): Promise<MoveLeftovers[]> {
  const report: MoveLeftovers[] = [];
  for (const [userId, f] of await scanMoveLeftovers(emily)) {
    const entry: MoveLeftovers = { userId, found: f.items.map((i) => `${i.what} ${i.name} on server "${i.server}"`), repaired: false, running: false };
    report.push(entry);
    if (!opts.repair) {
      entry.running = await emily.catalog.with((c) => moveRunning(c, userId)).catch(() => false);
      continue;
    }
    const lock = await tryMoveLock(emily.primaryAdmin(), userId).catch(() => null);
    if (!lock) {
      entry.running = true;
      continue;
    }
    try {
      await repairOne(emily, userId, f);
      entry.repaired = true;
    } catch (e) {
      entry.error = `${toEmilyError(e).message}; run "emily doctor --repair" again`;
    } finally {
      await lock.release();
    }
  }
  return report;
}

async function repairOne(emily: Emily, userId: string, f: Found): Promise<void> {
  // Re-read under the lock: a move may have finished between the scan and now.
  const user = f.user ? await emily.catalog.get(userId).catch(() => undefined) : undefined;
  const name = moveObjectName(userId);
  if (user?.status === 'moving') {
    // A replace whose swap committed: marking the row ready now would hand the profile over
    // with its tables still owned by the copy's role. finishInterruptedRestores owns it.
    if (await hasUnfinishedSwap(emily.servers.admin(user.server), user.id)) {
      throw new EmilyError('BUSY', 'a replace of this profile put its new copy in place but did not finish; opening Emily again or "emily doctor --repair" finishes it');
    }
    await thawRole(emily.servers.admin(user.server), emily.cluster.secrets, user.roleName);
    await emily.catalog.update(user.id, { status: 'ready' });
  }
  const servers = new Set(f.items.map((i) => i.server));
  if (user) servers.add(user.server);
  for (const server of servers) {
    const admin = emily.servers.admin(server);
    for (const sub of f.items.filter((i) => i.server === server && i.what === 'subscription')) {
      await withAdminClient(admin, sub.database!, (c) => dropSubscription(c, sub.name));
    }
    if (user && server === user.server) {
      await dropSourceObjects(admin, userId, user.dbName);
      continue;
    }
    await withAdminClient(admin, 'postgres', async (c) => {
      await dropSlot(c, name);
      if (user) {
        await dropTableSyncSlots(c, user.dbName);
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(user.dbName)} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${quoteIdent(user.roleName)}`);
      }
    });
    await dropSourceObjects(admin, userId, undefined);
  }
}

/** At open: finishes what a killed move left, so its user works again without a doctor run. */
export async function recoverInterruptedMoves(emily: Emily): Promise<MoveLeftovers[]> {
  return repairMoveLeftovers(emily, { repair: true });
}
