import type pg from 'pg';
import type { Migration } from './migrations.js';

/**
 * The tables the migrations make (and do not drop again). A database whose ledger says it is
 * up to date can still have lost one (a hand-run DROP TABLE, a damaged restore): every call
 * that touches it would then fail, and a backup of it would carry the damage along.
 */
export function expectedTables(migrations: Migration[]): string[] {
  const tables = new Set<string>();
  for (const m of migrations) {
    const sql = m.sql.replace(/--[^\n]*/g, '');
    for (const [, name] of sql.matchAll(/\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:public\.)?([a-z_][a-z0-9_]*)/gi)) tables.add(name!.toLowerCase());
    for (const [, name] of sql.matchAll(/\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:public\.)?([a-z_][a-z0-9_]*)/gi)) tables.delete(name!.toLowerCase());
  }
  return [...tables].sort();
}

/** The expected tables this database does not have. */
export async function missingTables(c: pg.ClientBase, migrations: Migration[]): Promise<string[]> {
  const expected = expectedTables(migrations);
  const r = await c.query<{ name: string }>("SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass('public.' || quote_ident(name)) IS NULL", [expected]);
  return r.rows.map((x) => x.name);
}
