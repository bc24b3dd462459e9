import type pg from 'pg';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { assertUserId, CATALOG_DATABASE } from '../core/ids.js';
import type { AdminConnection } from '../cluster/cluster.js';
import { withAdminClient } from './adminClient.js';
import { loadMigrations, migrateDatabase } from './migrations.js';

export type UserStatus = 'provisioning' | 'ready' | 'deleting' | 'moving';

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
  constructor(private readonly admin: () => AdminConnection) {}

  with<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return withAdminClient(this.admin(), CATALOG_DATABASE, fn);
  }

  /** Creates the catalog database if needed and migrates it. */
  async ensure(): Promise<void> {
    await withAdminClient(this.admin(), 'postgres', async (c) => {
      // Several processes may open Emily at once (tests, CLI + app): concurrent GRANT/REVOKE
      // on one database fail with "tuple concurrently updated", so take turns. The lock goes
      // with the connection.
      await c.query("SELECT pg_advisory_lock(hashtext('emily.catalog.ensure'))");
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [CATALOG_DATABASE]);
      if (exists.rowCount === 0) {
        await c.query(`CREATE DATABASE ${CATALOG_DATABASE}`).catch((e: unknown) => {
          if ((e as { code?: string }).code !== '42P04') throw e; // created concurrently
        });
      }
      // User roles may connect to their own database and nothing else.
      for (const db of [CATALOG_DATABASE, 'postgres', 'template1']) {
        await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC`);
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
    await this.with((c) => c.query(`UPDATE users SET ${sets.join(', ')} WHERE id = $1`, params));
  }

  async remove(userId: string): Promise<void> {
    await this.with((c) => c.query('DELETE FROM users WHERE id = $1', [assertUserId(userId)]));
  }
}
