import type { Emily } from '../core/emily.js';
import { forEachUser, type ForEachOptions, type PerUserResult } from '../databases/forEachUser.js';

export interface UserCounts {
  l3: number;
  l4: number;
  conversations: number;
}

export interface AllUsersStats {
  users: number;
  totals: UserCounts;
  failed: number;
  perUser: PerUserResult<UserCounts>[];
}

/** Cross-user aggregation by iteration (the seed's way): each user's own database, own role. */
export async function statsAllUsers(emily: Emily, opts: ForEachOptions = {}): Promise<AllUsersStats> {
  const perUser = await forEachUser(
    await emily.catalog.list(),
    (u) =>
      emily.withUser(u.id, async (c) => {
        const r = await c.query<UserCounts>(
          'SELECT (SELECT count(*)::int FROM memories WHERE NOT archived) AS l3, (SELECT count(*)::int FROM turns) AS l4, (SELECT count(*)::int FROM conversations) AS conversations',
        );
        return r.rows[0]!;
      }),
    opts,
  );
  const totals: UserCounts = { l3: 0, l4: 0, conversations: 0 };
  for (const r of perUser) {
    if (!r.value) continue;
    totals.l3 += r.value.l3;
    totals.l4 += r.value.l4;
    totals.conversations += r.value.conversations;
  }
  return { users: perUser.length, totals, failed: perUser.filter((r) => !r.ok).length, perUser };
}
