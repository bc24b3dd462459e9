import pg from 'pg';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { assertUserId, CATALOG_DATABASE } from '../core/ids.js';
import type { AdminConnection } from '../cluster/cluster.js';
import { withAdminClient } from './adminClient.js';
import { loadMigrations, migrateDatabase } from './migrations.js';
import { pgSsl } from './tls.js';
import { inTransaction } from './transaction.js';

export type UserStatus = 'provisioning' | 'ready' | 'deleting' | 'moving';

/** Why a profile that is not ready cannot be used now, in words (a deleted one will not become ready). */
export function notReady(user: { displayName: string; status: UserStatus }): EmilyError {
  if (user.status === 'deleting') return new EmilyError('NOT_FOUND', `the profile "${user.displayName}" is being deleted`);
  return new EmilyError('BUSY', `the profile "${user.displayName}" is ${user.status === 'moving' ? 'being moved or replaced' : 'still being set up'}; try again in a moment`);
}

export interface UserRecord {
  id: string;
  displayName: string;
  dbName: string;
  roleName: string;
  server: string;
  status: UserStatus;
  schemaVersion: number;
  createdAt: Date;
}

interface UserRow {
  id: string;
  display_name: string;
  db_name: string;
  role_name: string;
  server: string;
  status: UserStatus;
  schema_version: number;
  created_at: Date;
}

const COLUMNS = 'id, display_name, db_name, role_name, server, status, schema_version, created_at';

function toRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    displayName: r.display_name,
    dbName: r.db_name,
    roleName: r.role_name,
    server: r.server,
    status: r.status,
    schemaVersion: r.schema_version,
    createdAt: r.created_at,
  };
}

/** The catalog database: which users exist, where their databases live. */
export class Catalog {
  private pool: pg.Pool | undefined;

  constructor(private readonly admin: () => AdminConnection) {}

  /** Catalog queries share a small pool of their own (outside the user budget). */
  async with<T>(fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
    this.pool ??= this.newPool();
    const client = await this.pool.connect().catch((e: unknown) => {
      throw toEmilyError(e, 'cannot reach the catalog database');
    });
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  private newPool(): pg.Pool {
    const admin = this.admin();
    const pool = new pg.Pool({ ...admin, ssl: pgSsl(admin.tls), database: CATALOG_DATABASE, max: 3, idleTimeoutMillis: 5_000, application_name: 'emily-catalog' });
    pool.on('error', () => undefined); // an idle connection dropped: the pool replaces it
    // A checked-out connection that drops surfaces as a failed query, not as a process crash.
    pool.on('connect', (client) => client.on('error', () => undefined));
    return pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  /** Creates the catalog database if needed and migrates it. */
  async ensure(): Promise<void> {
    await withAdminClient(this.admin(), 'postgres', async (c) => {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [CATALOG_DATABASE]);
      if (exists.rowCount === 0) {
        await c.query(`CREATE DATABASE ${CATALOG_DATABASE}`).catch((e: unknown) => {
          if ((e as { code?: string }).code !== '42P04') throw e; // created concurrently
        });
      }
      // User roles may connect to their own database and nothing else.
      for (const db of [CATALOG_DATABASE, 'postgres', 'template1']) {
        const open = await c.query<{ ok: boolean }>("SELECT has_database_privilege('public', $1, 'CONNECT') OR has_database_privilege('public', $1, 'TEMPORARY') AS ok", [db]);
        if (open.rows[0]!.ok) await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC`);
      }
    });
    await this.with((c) => migrateDatabase(c, loadMigrations('catalog'), { label: 'catalog' }));
  }

  async list(opts: { includeAll?: boolean; server?: string } = {}): Promise<UserRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!opts.includeAll) where.push(`status = 'ready'`);
    if (opts.server) {
      params.push(opts.server);
      where.push(`server = $${params.length}`);
    }
    const sql = `SELECT ${COLUMNS} FROM users ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, id`;
    return this.with(async (c) => (await c.query<UserRow>(sql, params)).rows.map(toRecord));
  }

  async get(userId: string): Promise<UserRecord> {
    const id = assertUserId(userId);
    const row = await this.with(async (c) => (await c.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id])).rows[0]);
    if (!row) throw new EmilyError('NOT_FOUND', `no user with id ${id}; "emily users list" shows the users`);
    return toRecord(row);
  }

  async insert(rec: { id: string; displayName: string; dbName: string; roleName: string; server: string }): Promise<void> {
    await this.with((c) =>
      c.query('INSERT INTO users (id, display_name, db_name, role_name, server) VALUES ($1, $2, $3, $4, $5)', [rec.id, rec.displayName, rec.dbName, rec.roleName, rec.server]),
    ).catch((e: unknown) => {
      throw toEmilyError(e, 'cannot register the user in the catalog');
    });
  }

  async update(userId: string, fields: Partial<{ status: UserStatus; schemaVersion: number; server: string; displayName: string }>): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [assertUserId(userId)];
    const map: Record<string, string> = { status: 'status', schemaVersion: 'schema_version', server: 'server', displayName: 'display_name' };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      params.push(v);
      sets.push(`${map[k]} = $${params.length}`);
    }
    if (!sets.length) return;
    if (fields.status) sets.push('status_changed_at = now()');
    await this.with((c) => c.query(`UPDATE users SET ${sets.join(', ')} WHERE id = $1`, params));
  }

  /**
   * A new user becomes ready. `alongside` runs in the same catalog transaction (server mode
   * writes the user's account there), so a crash leaves both or neither: a row still
   * 'provisioning' is debris that doctor removes.
   */
  async markReady(userId: string, schemaVersion: number, alongside?: (c: pg.ClientBase) => Promise<void>): Promise<void> {
    await this.with((c) =>
      inTransaction(c, async () => {
        await alongside?.(c);
        await c.query("UPDATE users SET status = 'ready', schema_version = $2, status_changed_at = now() WHERE id = $1", [assertUserId(userId), schemaVersion]);
      }),
    );
  }

  /** Rows stuck in provisioning/deleting for longer than an operation takes: debris of a crash. */
  /** A process still working on a 'provisioning' profile says so, so that doctor does not take it for debris. */
  async stillWorking(id: string): Promise<void> {
    await this.with((c) => c.query("UPDATE users SET status_changed_at = now() WHERE id = $1 AND status = 'provisioning'", [id]));
  }

  async debris(olderThanSeconds = 120): Promise<UserRecord[]> {
    return this.with(async (c) =>
      (await c.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE status IN ('provisioning', 'deleting') AND status_changed_at < now() - make_interval(secs => $1) ORDER BY id`, [olderThanSeconds])).rows.map(toRecord),
    );
  }

  /** Records configured servers by name and kind (never their addresses or credentials). */
  async registerServers(list: { name: string; kind: 'embedded' | 'external' }[]): Promise<void> {
    await this.with(async (c) => {
      for (const s of list) await c.query('INSERT INTO servers (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [s.name, s.kind]);
    });
  }

  /** Users per server, counting every row (a user being created or moved still takes room). */
  async countsByServer(): Promise<Map<string, number>> {
    const rows = await this.with(async (c) => (await c.query<{ server: string; n: number }>('SELECT server, count(*)::int AS n FROM users GROUP BY server')).rows);
    return new Map(rows.map((r) => [r.server, r.n]));
  }

  async remove(userId: string): Promise<void> {
    await this.with((c) => c.query('DELETE FROM users WHERE id = $1', [assertUserId(userId)]));
  }
}
