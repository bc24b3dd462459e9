import type pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import type { UserRecord } from './catalog.js';
import { withAdminClient } from './adminClient.js';
import { loadMigrations, migrateDatabase, schemaState } from './migrations.js';
import { countMisfitVectors, dropMisfitVectors } from './misfitVectors.js';
import { missingTables } from './schemaTables.js';
import { installVector } from './template.js';
import { buildMissingIndexes, repairVectorColumns, VECTOR_COLUMNS, VECTOR_COLUMNS_FROM, vectorSchema } from './vectorColumns.js';

export interface DatabaseCheck {
  database: string;
  ok: boolean;
  /** What was wrong when we looked. */
  problems: string[];
  /** What --repair fixed. */
  repaired: string[];
  /** What is still wrong, with what to do. */
  unrepaired: string[];
  schemaVersion: number;
}

/**
 * Checks one Emily database the way "Cold Start fragmentation" taught us to: the vector
 * extension, the schema, vectors that fit their model, and index validity; with repair,
 * installs the extension, migrates forward, deletes misfit vectors and rebuilds invalid
 * indexes. ownerRole: migrations run as that role.
 */
export async function checkDatabase(admin: AdminConnection, database: string, opts: { repair: boolean; ownerRole?: string }): Promise<DatabaseCheck> {
  const report: DatabaseCheck = { database, ok: true, problems: [], repaired: [], unrepaired: [], schemaVersion: 0 };
  await withAdminClient(admin, database, async (c) => {
    const migrations = loadMigrations('user');
    if (!(await hasVector(c))) {
      report.problems.push('the vector extension is missing (Cold Start fragmentation: no embedding, no retrieval)');
      if (opts.repair) {
        await installVector(c);
        report.repaired.push('installed the vector extension');
      } else report.unrepaired.push('vector extension missing: run "emily doctor --repair"');
    }
    let state;
    try {
      state = await schemaState(c, migrations, database);
    } catch (e) {
      const err = toEmilyError(e);
      report.problems.push(err.message);
      report.unrepaired.push(err.message);
      report.ok = false;
      return;
    }
    report.schemaVersion = state.version;
    if (state.pending.length) {
      report.problems.push(`schema version ${state.version} is behind ${migrations.length}`);
      if (opts.repair && (await hasVector(c))) {
        const r = await migrateDatabase(c, migrations, { ownerRole: opts.ownerRole, label: database });
        report.schemaVersion = r.to;
        report.repaired.push(`migrated from ${r.from} to ${r.to}`);
      } else report.unrepaired.push('schema not up to date: run "emily migrate" or "emily doctor --repair"');
    }
    const lost = report.schemaVersion === migrations.length ? await missingTables(c, migrations) : [];
    if (lost.length) {
      const what = `tables missing although the schema is up to date: ${lost.join(', ')} (the database was damaged; nothing can rebuild their rows)`;
      report.problems.push(what);
      report.unrepaired.push(`${what}: put a backup in its place ("emily backups list", then "emily restore <backup> --replace")`);
      report.ok = false;
      return;
    }
    const current = (await hasVector(c)) && report.schemaVersion === migrations.length;
    const vs = current ? await vectorSchema(c) : undefined;
    // The columns first (the vector checks below need them), the indexes last (a misfit
    // vector would fail their build).
    if (vs?.missingColumns.length) {
      for (const t of vs.missingColumns) report.problems.push(`${t} has lost its embedding column (the vector extension was dropped and installed again?)`);
      if (opts.repair) report.repaired.push(...(await repairVectorColumns(c, vs.missingColumns)));
      else report.unrepaired.push('embedding columns missing: run "emily doctor --repair" (the lost vectors are rebuilt in the background)');
    }
    if (vs && (opts.repair || !vs.missingColumns.length)) {
      // With repair the delete is the check: one pass over the vectors, not a count and then a delete.
      const dropped = opts.repair ? await dropMisfitVectors(c, opts.ownerRole) : undefined;
      const misfits = dropped ? dropped.memory_embeddings + dropped.turn_embeddings : await countMisfitVectors(c, opts.ownerRole);
      if (misfits) {
        report.problems.push(`${misfits} vectors do not have their model's size (they fail its HNSW index and its searches)`);
        if (dropped) report.repaired.push(`deleted ${misfits} vectors of the wrong size; a re-embedding job builds them again for the model in use`);
        else report.unrepaired.push('vectors of the wrong size: run "emily doctor --repair"');
      }
    }
    // A missing HNSW index is slowness, not damage (exact search serves the model, as after
    // an import that could not build it): reported, built by --repair when it can be.
    if (vs?.missingIndexes.length) {
      if (opts.repair) {
        const { built, failed } = await buildMissingIndexes(c, vs.missingIndexes);
        report.repaired.push(...built);
        report.problems.push(...failed);
      } else {
        for (const m of vs.missingIndexes) report.problems.push(`the HNSW index of embedding model ${m.id} is missing, so searches by vector go slow: "emily doctor --repair" builds it`);
      }
    }
    const invalid = await c.query<{ name: string }>(
      `SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT (i.indisvalid AND i.indisready)`,
    );
    for (const { name } of invalid.rows) {
      report.problems.push(`index ${name} is invalid`);
      if (opts.repair) {
        await c.query(`REINDEX INDEX ${c.escapeIdentifier(name)}`);
        report.repaired.push(`rebuilt index ${name}`);
      } else report.unrepaired.push(`index ${name} is invalid: run "emily doctor --repair"`);
    }
  });
  report.ok = report.unrepaired.length === 0;
  return report;
}

/** Embedding columns present and no index invalid: one cheap catalog query. */
async function intact(c: pg.ClientBase): Promise<boolean> {
  const r = await c.query<{ ok: boolean }>(
    `SELECT (SELECT count(*) FROM ${VECTOR_COLUMNS_FROM}) = $2
        AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND NOT (i.indisvalid AND i.indisready)) AS ok`,
    [[...VECTOR_COLUMNS], VECTOR_COLUMNS.length],
  );
  return r.rows[0]!.ok;
}

export async function hasVector(c: pg.ClientBase): Promise<boolean> {
  const r = await c.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
  return r.rowCount === 1;
}

/**
 * The check run when a user database is opened, over the user's own first connection:
 * cheap when all is well; repairs what is safe (extension, forward migration, lost embedding
 * columns, invalid indexes) through an admin connection; refuses a database newer than the app.
 */
export async function openCheck(client: pg.ClientBase, user: UserRecord, admin: AdminConnection): Promise<{ schemaVersion: number }> {
  const migrations = loadMigrations('user');
  const vectorOk = await hasVector(client);
  const state = await schemaState(client, migrations, `the database of "${user.displayName}"`);
  if (vectorOk && state.pending.length === 0 && (await intact(client))) return { schemaVersion: state.version };
  const report = await checkDatabase(admin, user.dbName, { repair: true, ownerRole: user.roleName });
  if (!report.ok) throw new EmilyError('EXTENSION_MISSING', `the database of "${user.displayName}" needs repair: ${report.unrepaired.join('; ')}`);
  return { schemaVersion: report.schemaVersion };
}
