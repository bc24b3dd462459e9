import { EmilyError, toEmilyError } from '../core/errors.js';
import type { Catalog } from './catalog.js';
import { assertServerName } from './serverConfig.js';
import type { ServerDirectory } from './servers.js';

/** A server that failed this recently is not offered to new users (it is retried after). */
const RETRY_UNREACHABLE_MS = 30_000;

/**
 * Where a new user's database goes: the reachable server with the fewest users. Users
 * are the load figure because every user database costs about the same on a server
 * (template-sized, one pool under the same per-server connection budget); connection
 * counts swing by the second and would send a burst of sign-ups to whichever server
 * happened to be idle. Ties go to the server listed first (the primary).
 */
export async function placeUser(catalog: Catalog, servers: ServerDirectory, requested?: string): Promise<string> {
  if (requested !== undefined) {
    const name = assertServerName(requested);
    servers.admin(name); // NOT_FOUND for a server that is not configured
    await servers.ready?.(name);
    return name;
  }
  const names = servers.names();
  if (names.length === 1) return names[0]!;
  const counts = await catalog.countsByServer();
  let best: { name: string; users: number } | undefined;
  for (const name of names) {
    const st = servers.state?.(name);
    if (st?.status === 'unreachable' && Date.now() - st.at < RETRY_UNREACHABLE_MS) continue;
    const users = counts.get(name) ?? 0;
    if (best && users >= best.users) continue;
    try {
      await servers.ready?.(name);
      best = { name, users };
    } catch {
      // unreachable now: the next server takes the user
    }
  }
  if (!best) throw new EmilyError('CLUSTER_UNAVAILABLE', 'no database server is reachable for a new profile; "emily servers list" shows which are down');
  return best.name;
}

/**
 * Places a new user and creates them there. A server can die after it was prepared (its
 * state still says ready): when creating fails because it cannot be reached, it is marked
 * down and the next least loaded server takes the user. A requested server is not swapped.
 */
export async function placeAndCreate<T>(catalog: Catalog, servers: ServerDirectory, requested: string | undefined, create: (server: string) => Promise<T>): Promise<T> {
  const tried = new Set<string>();
  for (;;) {
    const server = await placeUser(catalog, servers, requested);
    try {
      return await create(server);
    } catch (e) {
      const err = toEmilyError(e);
      if (requested !== undefined || err.code !== 'CLUSTER_UNAVAILABLE' || !servers.markUnreachable || tried.has(server)) throw e;
      tried.add(server);
      servers.markUnreachable(server, err.message);
    }
  }
}
