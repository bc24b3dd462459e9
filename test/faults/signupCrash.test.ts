import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emily } from '../../electron/core/emily.js';
import { CATALOG_DATABASE } from '../../electron/core/ids.js';
import { withAdminClient } from '../../electron/databases/adminClient.js';
import { doctorAll } from '../../electron/operations/doctorAll.js';
import { userFootprint } from '../../electron/operations/users.js';
import { Accounts } from '../../electron/server/accounts.js';
import { disposeHome, newHome, startWorker } from './support/processes.js';

let home: string;
let emily: Emily;

beforeAll(async () => {
  home = newHome('signupcrash');
  emily = await Emily.open({ home, spareDatabases: 0 });
});

afterAll(async () => {
  await emily?.close({ stopServer: true });
  if (home) await disposeHome(home);
});

describe('SIGKILL during a server-mode sign-up', () => {
  it('between the profile and its account: no live profile without an account; doctor --repair removes the half-made one; the name can sign up again', async () => {
    const worker = startWorker(['signup', home, 'crash-signup']);
    await worker.waitFor(/^PAUSED signup$/);
    await worker.kill();

    const catalogRows = () =>
      withAdminClient(emily.cluster.admin(), CATALOG_DATABASE, async (c) => ({
        users: (await c.query<{ id: string; status: string }>("SELECT id, status FROM users WHERE display_name = 'crash-signup'")).rows,
        accounts: (await c.query<{ user_id: string }>("SELECT user_id FROM accounts WHERE username = 'crash-signup'")).rows,
      }));
    const after = await catalogRows();
    expect(after.accounts).toEqual([]);
    // The profile the worker made is not live: nobody could ever sign in to it.
    expect(after.users.map((u) => u.status)).toEqual(['provisioning']);
    expect((await emily.catalog.list()).map((u) => u.displayName)).not.toContain('crash-signup');

    // Doctor takes a provisioning row for debris once it is older than any provisioning takes.
    const half = await emily.catalog.get(after.users[0]!.id);
    await withAdminClient(emily.cluster.admin(), CATALOG_DATABASE, (c) => c.query("UPDATE users SET status_changed_at = now() - interval '1 hour' WHERE id = $1", [half.id]));
    const report = await doctorAll(emily, { repair: true });
    expect(report.debris).toContainEqual({ id: half.id, status: 'provisioning', repaired: true });
    expect(await userFootprint(emily, half)).toEqual({ database: false, role: false, catalogRow: false });

    const again = await new Accounts(emily).create('crash-signup', 'a long enough password');
    expect((await catalogRows()).accounts).toEqual([{ user_id: again.userId }]);
    expect((await emily.catalog.get(again.userId)).status).toBe('ready');
  });

  it('two sign-ups of one name at once: one wins, the other is refused and leaves no profile, database or role behind', async () => {
    const accounts = new Accounts(emily);
    const before = await emily.catalog.list({ includeAll: true });
    // Both pass the name check long before either writes its account (scrypt and provisioning
    // come between), so the loser is refused by the account row itself.
    const results = await Promise.allSettled([accounts.create('same-name', 'a long enough password'), accounts.create('same-name', 'another long password')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code: string }).code)).toEqual(['CONFLICT']);
    const now = await emily.catalog.list({ includeAll: true });
    expect(now.length).toBe(before.length + 1);
    const dbs = await withAdminClient(emily.cluster.admin(), 'postgres', async (c) => ({
      databases: (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'emily\\_u\\_%'")).rows[0]!.n,
      roles: (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'emily\\_r\\_%'")).rows[0]!.n,
    }));
    expect(dbs).toEqual({ databases: now.length, roles: now.length });
  });
});
