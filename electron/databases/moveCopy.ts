import type pg from 'pg';
import type { AdminConnection } from '../cluster/cluster.js';
import type { ClusterSecrets } from '../cluster/secrets.js';
import { rolePassword } from '../cluster/secrets.js';
import { scramVerifier } from '../cluster/scram.js';
import { EmilyError } from '../core/errors.js';
import { quoteIdent, TEMPLATE_OWNER_ROLE } from '../core/ids.js';
import { withAdminClient } from './adminClient.js';
import { createFromTemplate } from './provisioning.js';

/**
 * The data side of a move: the target database made from the template (same schema, owned
 * by the user's role with the same derived password), emptied so replication can fill it;
 * indexes the app created at run time (per-model HNSW) copied over; sequences carried
 * across at the switch (logical replication does not copy them); and a fingerprint of
 * every table to prove the copy equals the source.
 */
export async function createTargetDatabase(admin: AdminConnection, secrets: ClusterSecrets, u: { dbName: string; roleName: string }): Promise<void> {
  await withAdminClient(admin, 'postgres', async (c) => {
    await c.query(`CREATE ROLE ${quoteIdent(u.roleName)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${c.escapeLiteral(scramVerifier(rolePassword(secrets, u.roleName)))}`);
    await createFromTemplate(c, u.dbName, u.roleName);
    await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(u.dbName)} FROM PUBLIC`);
  });
  await withAdminClient(admin, u.dbName, async (c) => {
    await c.query('BEGIN');
    await c.query(`REASSIGN OWNED BY ${TEMPLATE_OWNER_ROLE} TO ${quoteIdent(u.roleName)}`);
    await c.query(`DROP OWNED BY ${TEMPLATE_OWNER_ROLE}`);
    const tables = await userTables(c);
    // The template's seed rows would collide with the source's copy of them.
    if (tables.length) await c.query(`TRUNCATE ${tables.map((t) => quoteIdent(t)).join(', ')} RESTART IDENTITY CASCADE`);
    await c.query('COMMIT');
  });
}

export async function userTables(c: pg.ClientBase): Promise<string[]> {
  const r = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return r.rows.map((x) => x.t);
}

/** Refuses a move between databases whose tables differ. */
export async function compareTables(source: pg.ClientBase, target: pg.ClientBase): Promise<string[]> {
  const [st, tt] = [await userTables(source), await userTables(target)];
  if (st.join(',') !== tt.join(',')) {
    const missing = st.filter((t) => !tt.includes(t));
    const extra = tt.filter((t) => !st.includes(t));
    throw new EmilyError('SCHEMA_MISMATCH', `the user's tables differ from the template's (only in the user's database: ${missing.join(', ') || 'none'}; only in the template: ${extra.join(', ') || 'none'}); run "emily migrate" and try again`);
  }
  return st;
}

/**
 * Creates the indexes only the source has (made by the app at run time, e.g. per-model
 * HNSW). Done after the initial copy: one bulk build is far cheaper than maintaining an
 * HNSW index row by row while the copy streams in.
 */
export async function copyMissingIndexes(source: pg.ClientBase, target: pg.ClientBase): Promise<string[]> {
  const idx = async (c: pg.ClientBase) => (await c.query<{ name: string; def: string }>("SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public'")).rows;
  const have = new Set((await idx(target)).map((i) => i.name));
  const copied: string[] = [];
  for (const i of await idx(source)) {
    if (have.has(i.name)) continue;
    await target.query(i.def); // the source server's own rendering of an index on identical tables
    copied.push(i.name);
  }
  return copied;
}

/** Carries every sequence's position over; never-used ones restart. */
export async function copySequences(source: pg.ClientBase, target: pg.ClientBase): Promise<number> {
  const r = await source.query<{ seq: string; last_value: string | null }>("SELECT format('%I.%I', schemaname, sequencename) AS seq, last_value::text FROM pg_sequences WHERE schemaname = 'public'");
  for (const s of r.rows) {
    if (s.last_value === null) await target.query(`ALTER SEQUENCE ${s.seq} RESTART`);
    else await target.query('SELECT setval($1::regclass, $2::bigint, true)', [s.seq, s.last_value]);
  }
  return r.rowCount ?? 0;
}

export interface TableFingerprint {
  table: string;
  rows: number;
  md5: string;
}

/**
 * Row count and an md5 over every row's text in primary-key order. Both sides render rows
 * with the same settings so the text cannot differ by time zone or float formatting.
 */
export async function fingerprints(c: pg.ClientBase, tables: string[]): Promise<TableFingerprint[]> {
  await c.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'");
  const out: TableFingerprint[] = [];
  for (const table of tables) {
    const pk = await c.query<{ col: string }>(
      `SELECT a.attname AS col FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [quoteIdent(table)],
    );
    const order = pk.rows.length ? pk.rows.map((r) => `t.${quoteIdent(r.col)}`).join(', ') : 'md5(t::text)';
    const r = await c.query<{ n: string; h: string }>(`SELECT count(*)::text AS n, md5(coalesce(string_agg(md5(t::text), '' ORDER BY ${order}), '')) AS h FROM ${quoteIdent(table)} t`);
    out.push({ table, rows: Number(r.rows[0]!.n), md5: r.rows[0]!.h });
  }
  return out;
}

export function compareFingerprints(a: TableFingerprint[], b: TableFingerprint[]): string[] {
  const diffs: string[] = [];
  for (const x of a) {
    const y = b.find((f) => f.table === x.table);
    if (!y) diffs.push(`${x.table}: missing on the target`);
    else if (x.rows !== y.rows) diffs.push(`${x.table}: ${x.rows} rows on the source, ${y.rows} on the target`);
    else if (x.md5 !== y.md5) diffs.push(`${x.table}: same row count (${x.rows}) but different contents`);
  }
  return diffs;
}
