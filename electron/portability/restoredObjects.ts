import type pg from 'pg';
import { EmilyError } from '../core/errors.js';

/**
 * What a restored database may hold besides tables, sequences, indexes and their data:
 * nothing that runs code. Checked from the catalogs before the superuser's verification
 * counts rows or rebuilds indexes there: a view, trigger, rule or function planted by a dump
 * that got past the statement check would otherwise run with the superuser's rights (SET ROLE
 * is no boundary against code: it can RESET ROLE). The statement check should stop all of
 * these; this is the second lock on the same door.
 */
const CHECKS: Array<[string, string]> = [
  [
    'functions',
    `SELECT p.oid::regprocedure::text AS what FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e')`,
  ],
  [
    'relations other than tables, sequences and indexes',
    `SELECT pg_catalog.format('%s (%s)', c.oid::regclass, c.relkind) AS what FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind NOT IN ('r', 'S', 'i')`,
  ],
  ['triggers', `SELECT t.tgname::text AS what FROM pg_catalog.pg_trigger t WHERE NOT t.tgisinternal`],
  [
    'rules',
    `SELECT r.rulename::text AS what FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  ],
  ['row security policies', `SELECT p.polname::text AS what FROM pg_catalog.pg_policy p`],
  ['event triggers', `SELECT e.evtname::text AS what FROM pg_catalog.pg_event_trigger e`],
  [
    'schemas',
    `SELECT n.nspname::text AS what FROM pg_catalog.pg_namespace n
      WHERE n.nspname NOT IN ('public', 'pg_catalog', 'information_schema', 'pg_toast') AND n.nspname !~ '^pg_(toast_)?temp_'`,
  ],
  ['extensions', `SELECT x.extname::text AS what FROM pg_catalog.pg_extension x WHERE x.extname NOT IN ('plpgsql', 'vector')`],
  [
    'settings of the database or its roles',
    `SELECT pg_catalog.array_to_string(s.setconfig, ', ') AS what FROM pg_catalog.pg_db_role_setting s
      WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`,
  ],
];

export async function assertOnlyData(c: pg.ClientBase): Promise<void> {
  for (const [kind, sql] of CHECKS) {
    const found = (await c.query<{ what: string }>(sql)).rows.map((r) => r.what);
    if (found.length) {
      throw new EmilyError('UNSAFE_DUMP', `the restored database holds ${kind} an Emily never has (${found.slice(0, 3).join('; ').slice(0, 200)}); it was dropped and nothing was kept`);
    }
  }
}
