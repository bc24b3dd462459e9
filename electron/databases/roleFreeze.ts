import type { AdminConnection } from '../cluster/cluster.js';
import { scramVerifier } from '../cluster/scram.js';
import { rolePassword, type ClusterSecrets } from '../cluster/secrets.js';
import { EmilyError } from '../core/errors.js';
import { quoteIdent } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';

/**
 * Stops every process from writing to a user's database while it is switched (a move to
 * another server, a replace): the role may not log in, and its sessions, of any process,
 * are ended. A process that cached where the user lives then fails to log in, looks the
 * user up again and waits on the catalog row ('moving') like everyone else.
 *
 * With dumpPassword (a replace, which backs the profile up while frozen) the role keeps its
 * logins but only that password opens them, so pg_dump still runs as the user's own role,
 * never as the superuser, and no one else gets in.
 */
export async function freezeRole(admin: AdminConnection, roleName: string, opts: { dumpPassword?: string } = {}): Promise<void> {
  await withAdminClient(admin, 'postgres', async (c) => {
    const role = quoteIdent(roleName);
    await c.query(opts.dumpPassword ? `ALTER ROLE ${role} PASSWORD ${c.escapeLiteral(scramVerifier(opts.dumpPassword))}` : `ALTER ROLE ${role} NOLOGIN`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await c.query<{ n: number }>('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE usename = $1', [roleName]);
      if (r.rows[0]!.n === 0) return;
      if (Date.now() > deadline) throw new EmilyError('BUSY', "the profile's sessions did not end within 10 s");
      await new Promise((res) => setTimeout(res, 20));
    }
  });
}

/** The role logs in again, with its own password (idempotent; recovery calls it for any row left 'moving'). */
export async function thawRole(admin: AdminConnection, secrets: ClusterSecrets, roleName: string): Promise<void> {
  const verifier = scramVerifier(rolePassword(secrets, roleName));
  await withAdminClient(admin, 'postgres', (c) => c.query(`ALTER ROLE ${quoteIdent(roleName)} LOGIN PASSWORD ${c.escapeLiteral(verifier)}`));
}
