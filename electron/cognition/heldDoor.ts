import type pg from 'pg';
import type { UserDoor } from './context.js';
import { inTransaction, retryingConflicts } from '../databases/transaction.js';

/**
 * Runs a stretch of one user's work on ONE pooled connection: every withUser and
 * withUserTransaction of that user inside fn reuses it. A chat turn makes half a dozen
 * short calls; under a full connection budget each separate acquisition may have to open
 * a new server connection, so holding one for the stretch is much cheaper. A transaction
 * opened inside another joins it (as a savepoint). Other users go through the real door.
 */
export function withHeldDoor<T>(door: UserDoor, userId: string, fn: (held: UserDoor) => Promise<T>): Promise<T> {
  return door.withUser(userId, async (client) => {
    let depth = 0;
    const held: UserDoor = {
      withUser: ((id: string, f: (c: pg.PoolClient) => Promise<unknown>) => (id === userId ? f(client) : door.withUser(id, f))) as UserDoor['withUser'],
      withUserTransaction: (async (id: string, f: (c: pg.PoolClient) => Promise<unknown>) => {
        if (id !== userId) return door.withUserTransaction(id, f);
        return depth > 0 ? savepoint(client, f) : transaction(client, f);
      }) as UserDoor['withUserTransaction'],
    };

    async function transaction(c: pg.PoolClient, f: (c: pg.PoolClient) => Promise<unknown>): Promise<unknown> {
      depth++;
      try {
        return await retryingConflicts(() => inTransaction(c, f));
      } finally {
        depth--;
      }
    }

    async function savepoint(c: pg.PoolClient, f: (c: pg.PoolClient) => Promise<unknown>): Promise<unknown> {
      await c.query('SAVEPOINT emily_held');
      try {
        const r = await f(c);
        await c.query('RELEASE SAVEPOINT emily_held');
        return r;
      } catch (e) {
        await c.query('ROLLBACK TO SAVEPOINT emily_held').catch(() => undefined);
        throw e;
      }
    }

    return fn(held);
  });
}
