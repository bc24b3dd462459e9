import type pg from 'pg';
import type { Emily } from '../core/emily.js';
import { EmilyError } from '../core/errors.js';
import { withAdminClient } from '../databases/adminClient.js';
import type { UserRecord } from '../databases/catalog.js';
import { hasVector } from '../databases/doctor.js';
import { dropMisfitVectors } from '../databases/misfitVectors.js';
import { loadMigrations, migrateDatabase, schemaState } from '../databases/migrations.js';
import { missingTables } from '../databases/schemaTables.js';
import { assertOnlyData } from './restoredObjects.js';

export interface VerifyReport {
  schemaVersion: number;
  migratedFrom: number;
  rows: Record<string, number>;
  rebuiltIndexes: string[];
  vectorIndexes: number;
  /** Vectors whose size was not their model's, deleted (they are rebuilt like missing ones). */
  droppedVectors: number;
}

/**
 * Checks a restored database before it becomes a live profile: the vector extension, the
 * schema version (migrated forward, as the profile's own role, when older), every table's
 * row count against the dump's, and index validity (invalid ones, e.g. an HNSW build that
 * was interrupted, are rebuilt). Throws instead of returning a doubtful profile.
 * Vectors that do not fit their model are deleted (see misfitVectors).
 */
export async function verifyRestored(emily: Emily, user: UserRecord, expectedRows: Map<string, number>): Promise<VerifyReport> {
  const admin = emily.servers.admin(user.server);
  return withAdminClient(admin, user.dbName, async (c) => {
    if (!(await hasVector(c))) throw new EmilyError('EXTENSION_MISSING', 'the restored database has no vector extension; the import was abandoned');
    // Before anything below touches the dump's tables with the superuser's rights.
    await assertOnlyData(c);
    const migrations = loadMigrations('user');
    const state = await schemaState(c, migrations, 'the imported Emily');
    const migratedFrom = state.version;
    const schemaVersion = state.pending.length ? (await migrateDatabase(c, migrations, { ownerRole: user.roleName, label: 'the imported Emily' })).to : state.version;
    // A copy of a damaged profile is damaged too: its ledger says nothing of a dropped table.
    const lost = await missingTables(c, migrations);
    if (lost.length) throw new EmilyError('INVALID_DUMP', `the dump lacks tables every Emily has (${lost.join(', ')}): it was made of a damaged profile; the import was abandoned`);
    const rows: Record<string, number> = {};
    for (const [table, expected] of expectedRows) {
      const actual = await countRows(c, table);
      if (actual < expected) throw new EmilyError('INVALID_DUMP', `table ${table} holds ${actual} rows after the restore but the dump has ${expected}; the import was abandoned`);
      rows[table] = actual;
    }
    const dropped = await dropMisfitVectors(c, user.roleName);
    for (const [table, n] of Object.entries(dropped)) if (rows[table] !== undefined) rows[table] -= n;
    const droppedVectors = dropped.memory_embeddings + dropped.turn_embeddings;
    const rebuiltIndexes = await rebuildInvalidIndexes(c);
    const vi = await c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public' AND indexdef ~ 'USING (hnsw|ivfflat)'`);
    return { schemaVersion, migratedFrom, rows, rebuiltIndexes, vectorIndexes: Number(vi.rows[0]!.n), droppedVectors };
  });
}

async function countRows(c: pg.ClientBase, table: string): Promise<number> {
  // The name comes from the dump: only plain identifiers reach here (sqlPolicy), quoted anyway.
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new EmilyError('INVALID_DUMP', `unexpected table name in the dump: ${JSON.stringify(table.slice(0, 60))}`);
  const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM public.${c.escapeIdentifier(table)}`);
  return Number(r.rows[0]!.n);
}

async function rebuildInvalidIndexes(c: pg.ClientBase): Promise<string[]> {
  const invalid = await c.query<{ name: string }>(
    `SELECT ic.relname AS name FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_namespace n ON n.oid = ic.relnamespace WHERE n.nspname = 'public' AND NOT (i.indisvalid AND i.indisready)`,
  );
  for (const { name } of invalid.rows) await c.query(`REINDEX INDEX public.${c.escapeIdentifier(name)}`);
  return invalid.rows.map((r) => r.name);
}
