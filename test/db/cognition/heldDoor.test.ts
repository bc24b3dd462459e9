import { describe, expect, it } from 'vitest';
import { withHeldDoor } from '../../../electron/cognition/heldDoor.js';
import type { UserDoor } from '../../../electron/cognition/context.js';
import { useTestEmily } from '../../support/testEmily.js';

const t = useTestEmily();
const pid = async (door: UserDoor, userId: string) => door.withUser(userId, async (c) => Number((await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p));

describe('withHeldDoor: one connection for a stretch of one user’s calls', () => {
  it('serves every call of that user from the same server connection, and other users through their own', async () => {
    const [a, b] = [await t.user(), await t.user()];
    const seen = await withHeldDoor(t.emily, a.id, async (door) => ({
      first: await pid(door, a.id),
      inTx: await door.withUserTransaction(a.id, async (c) => Number((await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p)),
      again: await pid(door, a.id),
      other: await door.withUser(b.id, async (c) => (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u),
    }));
    expect(seen.inTx).toBe(seen.first);
    expect(seen.again).toBe(seen.first);
    expect(seen.other).toBe(b.roleName);
  });

  it('commits its transactions, rolls back a failed one, and makes a nested one a savepoint', async () => {
    const u = await t.user();
    const count = () => t.emily.withUser(u.id, async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM conversations WHERE title LIKE 'held %'")).rows[0]!.n);
    await withHeldDoor(t.emily, u.id, async (door) => {
      await door.withUserTransaction(u.id, (c) => c.query("INSERT INTO conversations (title) VALUES ('held 1')"));
      await expect(
        door.withUserTransaction(u.id, async (c) => {
          await c.query("INSERT INTO conversations (title) VALUES ('held lost')");
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await door.withUserTransaction(u.id, async (c) => {
        await c.query("INSERT INTO conversations (title) VALUES ('held 2')");
        await expect(
          door.withUserTransaction(u.id, async (c2) => {
            await c2.query("INSERT INTO conversations (title) VALUES ('held inner lost')");
            await c2.query('SELECT 1/0');
          }),
        ).rejects.toThrow();
        // The outer transaction is still usable after the inner one failed.
        await c.query("INSERT INTO conversations (title) VALUES ('held 3')");
      });
    });
    expect(await count()).toBe(3);
    // The connection went back to the pool in a clean state (no open transaction).
    expect(await t.emily.withUser(u.id, async (c) => (await c.query<{ fresh: boolean }>("SELECT now() = statement_timestamp() AS fresh")).rows[0])).toEqual({ fresh: true });
  });
});
