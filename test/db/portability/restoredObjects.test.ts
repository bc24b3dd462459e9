import { describe, expect, it } from 'vitest';
import { verifyRestored } from '../../../electron/portability/verifyRestore.js';
import { useTestEmily } from '../../support/testEmily.js';
import { adminSql } from './helpers.js';

const t = useTestEmily();

/**
 * The second lock: whatever a dump might plant past the statement check, the superuser's
 * verification refuses the database before it reads a table there.
 */
const PLANTED: Array<[string, string, RegExp]> = [
  ['a function', `CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`, /functions.*\bf\(\)/],
  ['a view named like a table', `DROP TABLE public.self_corrections CASCADE; CREATE VIEW public.self_corrections AS SELECT 1::bigint AS id`, /relations other than tables.*self_corrections \(v\)/],
  ['a trigger', `CREATE FUNCTION public.tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; CREATE TRIGGER tr BEFORE INSERT ON public.memories FOR EACH ROW EXECUTE FUNCTION public.tf()`, /functions|triggers/],
  ['a rule', `CREATE RULE r AS ON INSERT TO public.settings DO ALSO NOTIFY x`, /rules.*\br\b/],
  ['a schema', `CREATE SCHEMA elsewhere`, /schemas.*elsewhere/],
  ['an extension', `CREATE EXTENSION hstore`, /functions|extensions/],
  ['a database setting', `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public', current_database()); END $$`, /settings.*search_path/],
];

describe('a restored database that holds code', () => {
  it.each(PLANTED)('%s is refused before anything reads it', async (_label, sql, mentions) => {
    const u = await t.user('planted');
    await adminSql(t.emily, u.dbName, sql);
    await expect(verifyRestored(t.emily, u, new Map([['memories', 0]]))).rejects.toMatchObject({ code: 'UNSAFE_DUMP', message: expect.stringMatching(mentions) });
  });

  it('a profile as Emily makes it passes', async () => {
    const u = await t.user('plain');
    await expect(verifyRestored(t.emily, u, new Map([['memories', 0]]))).resolves.toMatchObject({ rows: { memories: 0 } });
  });
});
