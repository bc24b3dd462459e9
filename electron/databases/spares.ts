import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { quoteIdent, TEMPLATE_DATABASE } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import { templateMarker } from './template.js';

/**
 * Spare databases: clones of the template made ahead of time, so that a new user's
 * database is a rename instead of a ~300 ms copy of the template's pages. Each spare
 * carries the template's version marker as its comment; a spare of an older template is
 * dropped rather than used. Provisioning falls back to a direct clone when none is ready.
 */
const SPARE_PREFIX = 'emily_spare_';

export async function claimSpare(c: pg.ClientBase, dbName: string, onRenamed: () => void = () => undefined): Promise<boolean> {
  const marker = templateMarker();
  const spares = await c.query<{ datname: string }>(
    // datconnlimit -2: a DROP DATABASE that failed half-way left it unusable.
    "SELECT datname FROM pg_database WHERE datname LIKE 'emily\\_spare\\_%' AND datconnlimit <> -2 AND shobj_description(oid, 'pg_database') = $1 ORDER BY datname",
    [marker],
  );
  for (const { datname } of spares.rows) {
    try {
      await c.query(`ALTER DATABASE ${quoteIdent(datname)} RENAME TO ${quoteIdent(dbName)}`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '3D000' || code === '55006') continue; // claimed by someone else, or being connected to
      throw e;
    }
    onRenamed();
    await c.query(`COMMENT ON DATABASE ${quoteIdent(dbName)} IS NULL`);
    return true;
  }
  return false;
}

/**
 * Several processes may keep spares on one server (the desktop app and the CLI, server mode
 * and an operator): one replenishes at a time. A spare is created, closed to PUBLIC and
 * marked in three statements; without the lock another process dropped an unmarked spare
 * between them as if it were stale (seen in the test suite's server log). A DROP DATABASE
 * racing that REVOKE fails with "tuple concurrently updated" after PostgreSQL has marked
 * the database invalid (reproduced with psql: 4 of 40 tries), the REVOKE and the marker
 * then land on it, and a sign-up claimed it: "cannot connect to invalid database". Under
 * this lock an unmarked spare can only be what a killed process left.
 */
const REPLENISH_LOCK = 7242100003;

/** Keeps `target` current spares on a server; drops spares of an older template, and broken ones. Another process replenishing: left to it. */
export async function replenishSpares(admin: AdminConnection, target: number): Promise<number> {
  const marker = templateMarker();
  return withAdminClient(admin, 'postgres', async (c) => {
    const locked = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [REPLENISH_LOCK]);
    if (!locked.rows[0]!.ok) return 0;
    try {
      const rows = await c.query<{ datname: string; marker: string | null; invalid: boolean }>(
        "SELECT datname, shobj_description(oid, 'pg_database') AS marker, datconnlimit = -2 AS invalid FROM pg_database WHERE datname LIKE 'emily\\_spare\\_%'",
      );
      let current = 0;
      for (const r of rows.rows) {
        if (r.marker === marker && !r.invalid) current++;
        else await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(r.datname)} WITH (FORCE)`);
      }
      let made = 0;
      for (; current + made < target; made++) {
        const name = `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`;
        await c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${TEMPLATE_DATABASE}`);
        await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(name)} FROM PUBLIC`);
        await c.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${c.escapeLiteral(marker)}`);
      }
      return made;
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [REPLENISH_LOCK]).catch(() => undefined);
    }
  });
}

/** Runs replenishment in the background, one at a time per process; failures only delay it. */
export class SpareKeeper {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly admin: () => AdminConnection,
    readonly target: number,
  ) {}

  kick(): void {
    if (this.target <= 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await replenishSpares(this.admin(), this.target).catch(() => undefined);
      } while (this.again);
    })().finally(() => (this.running = undefined));
  }

  /** Waits for the current replenishment (benchmarks, tests, shutdown). */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }
}

/** One SpareKeeper per server; provisioning kicks the server it just took a spare from. */
export class SpareKeepers {
  private readonly keepers = new Map<string, SpareKeeper>();

  constructor(
    private readonly admin: (server: string) => AdminConnection,
    readonly target: number,
  ) {}

  kick(server?: string): void {
    if (server === undefined) {
      for (const k of this.keepers.values()) k.kick();
      return;
    }
    let k = this.keepers.get(server);
    if (!k) {
      k = new SpareKeeper(() => this.admin(server), this.target);
      this.keepers.set(server, k);
    }
    k.kick();
  }

  async settle(): Promise<void> {
    await Promise.all([...this.keepers.values()].map((k) => k.settle()));
  }
}
