import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportUser } from '../../../electron/portability/exportDump.js';
import { importDump } from '../../../electron/portability/importDump.js';
import { deleteUser } from '../../../electron/operations/users.js';
import { useTestEmily } from '../../support/testEmily.js';
import { adminDump, adminSql, assertNoDebris, fingerprint, seedUser } from './helpers.js';

const t = useTestEmily();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-bad-dump-'));
let keeper: string;
let keeperPrint: Record<string, string>;
let goodPlain: string;
let goodCustom: string;
let attempt = 0;

beforeAll(async () => {
  keeper = (await t.user('keeper')).id;
  await seedUser(t.emily, keeper, { memories: 10, turns: 10 });
  keeperPrint = await fingerprint(t.emily, keeper);
  goodPlain = path.join(dir, 'good.sql');
  goodCustom = path.join(dir, 'good.dump');
  await exportUser(t.emily, keeper, goodPlain, { format: 'plain' });
  await exportUser(t.emily, keeper, goodCustom, { format: 'custom' });
});

afterAll(async () => {
  // Nothing already stored was lost or changed by any refused import.
  expect(await fingerprint(t.emily, keeper)).toEqual(keeperPrint);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function refused(file: string, code: string, mentions?: RegExp): Promise<void> {
  const name = `refused import ${++attempt}`;
  const err = await importDump(t.emily, file, { name }).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  expect(err, `import of ${path.basename(file)} should fail`).toBeDefined();
  expect(err!.code, err!.message).toBe(code);
  if (mentions) expect(err!.message).toMatch(mentions);
  await assertNoDebris(t.emily, name);
}

function write(name: string, data: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
}

describe('bad files', () => {
  it('a file that does not exist', () => refused(path.join(dir, 'nope.dump'), 'NOT_FOUND', /does not exist/));
  it('an empty file', () => refused(write('empty.dump', ''), 'INVALID_DUMP', /empty/));
  it('random bytes', () => refused(write('random.dump', randomBytes(100_000)), 'INVALID_DUMP', /not a pg_dump file/));
  it('a text file of another format', () => refused(write('notes.json', JSON.stringify({ hello: 'world' })), 'INVALID_DUMP', /not a pg_dump file/));
  it('a zip file', () => refused(write('export.zip', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(200)])), 'INVALID_DUMP', /zip/));
  it('a folder', () => refused(dir, 'BAD_INPUT', /not a regular file/));
  it('a truncated custom archive', () => refused(write('trunc.dump', fs.readFileSync(goodCustom).subarray(0, Math.floor(fs.statSync(goodCustom).size * 0.6))), 'INVALID_DUMP'));
  it('a custom archive cut inside its header', () => refused(write('trunc-head.dump', fs.readFileSync(goodCustom).subarray(0, 40)), 'INVALID_DUMP'));
  it('a good dump whose file name has a tab and 240 characters is imported under a name made from it', async () => {
    const awkward = write(`my\temily ${'x'.repeat(230)}.dump`, fs.readFileSync(goodCustom));
    const r = await importDump(t.emily, awkward);
    expect(r.user.displayName).toBe(`my emily ${'x'.repeat(91)}`);
    await deleteUser(t.emily, r.user.id);
  });

  it('a plain dump cut inside table data', () => {
    const text = fs.readFileSync(goodPlain, 'utf8');
    return refused(write('trunc.sql', text.slice(0, text.indexOf('COPY public.memories') + 300)), 'INVALID_DUMP', /truncated/);
  });
  it('a pg_dumpall file', () => refused(write('all.sql', '--\n-- PostgreSQL database cluster dump\n--\n\nCREATE ROLE x;\n'), 'INVALID_DUMP', /pg_dumpall/));
});

describe('dumps that are not importable Emilys', () => {
  it.each(['custom', 'plain'] as const)('a dump of a non-Emily database (%s)', async (format) => {
    await adminSql(t.emily, 'postgres', `CREATE DATABASE not_emily_${format}`);
    try {
      await adminSql(t.emily, `not_emily_${format}`, 'CREATE TABLE public.invoices (id int PRIMARY KEY, total numeric); INSERT INTO invoices VALUES (1, 9.5)');
      const file = path.join(dir, `not-emily.${format}`);
      await adminDump(t.emily, `not_emily_${format}`, file, format);
      await refused(file, 'INVALID_DUMP', /not of an Emily database/);
    } finally {
      await adminSql(t.emily, 'postgres', `DROP DATABASE not_emily_${format} WITH (FORCE)`);
    }
  });

  it.each(['custom', 'plain'] as const)('a dump from a newer schema (%s)', async (format) => {
    const u = await t.user('from the future');
    await t.emily.withUser(u.id, (c) => c.query(`INSERT INTO emily_migrations (id, name, checksum) VALUES (99, 'future', 'x')`));
    const file = path.join(dir, `future.${format}`);
    await adminDump(t.emily, u.dbName, file, format);
    await refused(file, 'SCHEMA_TOO_NEW', /newer version of Emily \(schema 99/);
  });
});

/** Real objects in a real database, dumped by pg_dump: each must be refused by name. */
const FORBIDDEN_OBJECTS: Array<[string, string, RegExp]> = [
  ['plpgsql function', `CREATE FUNCTION public.evil_fn() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$`, /evil_fn/],
  ['sql procedure', `CREATE PROCEDURE public.evil_proc() LANGUAGE sql AS $$ SELECT 1 $$`, /evil_proc/],
  ['trigger', `CREATE FUNCTION public.trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER evil_trigger BEFORE INSERT ON public.memories FOR EACH ROW EXECUTE FUNCTION public.trg_fn()`, /trg_fn|evil_trigger/],
  ['rule', `CREATE RULE evil_rule AS ON INSERT TO public.settings DO ALSO NOTIFY x`, /evil_rule/],
  ['event trigger', `CREATE FUNCTION public.et_fn() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; CREATE EVENT TRIGGER evil_et ON ddl_command_start EXECUTE FUNCTION public.et_fn()`, /et_fn|evil_et/],
  ['extension other than vector', `CREATE EXTENSION hstore`, /hstore/],
  ['extension dblink', `CREATE EXTENSION dblink`, /dblink/],
  ['large object', `SELECT lo_from_bytea(4242, 'secret')`, /4242|LARGE OBJECT|BLOB/],
  ['view', `CREATE VIEW public.evil_view AS SELECT 1 AS x`, /evil_view/],
  ['foreign data wrapper and server', `CREATE FOREIGN DATA WRAPPER evil_fdw; CREATE SERVER evil_server FOREIGN DATA WRAPPER evil_fdw`, /evil_fdw|evil_server/],
  ['publication', `CREATE PUBLICATION evil_pub FOR TABLE public.memories`, /evil_pub/],
  ['another schema', `CREATE SCHEMA evil_schema`, /evil_schema/],
  ['row-level security policy', `ALTER TABLE public.memories ENABLE ROW LEVEL SECURITY; CREATE POLICY evil_policy ON public.memories USING (true)`, /evil_policy|ROW SECURITY|ROW LEVEL/],
  ['custom type', `CREATE TYPE public.evil_type AS (a int)`, /evil_type/],
];

describe('dumps of databases holding objects an Emily never has', () => {
  it.each(FORBIDDEN_OBJECTS)('%s', async (_label, sql, mentions) => {
    const u = await t.user('hostile');
    await adminSql(t.emily, u.dbName, sql);
    for (const format of ['custom', 'plain'] as const) {
      const file = path.join(dir, `hostile-${_label.replace(/\W+/g, '-')}.${format}`);
      await adminDump(t.emily, u.dbName, file, format);
      await refused(file, 'UNSAFE_DUMP', mentions);
    }
  });
});

/** Hand-edited plain dumps: a valid Emily dump with one line slipped in after the SET block. */
const HAND_EDITS: Array<[string, string, RegExp]> = [
  ['COPY … FROM PROGRAM', `COPY public.settings (key, value, updated_at) FROM PROGRAM 'touch /tmp/emily-pwned';`, /PROGRAM/],
  ['COPY … TO a file', `COPY public.settings TO '/tmp/emily-leak';`, /COPY … TO|writes to the server/],
  ['ALTER SYSTEM', `ALTER SYSTEM SET archive_command = 'rm -rf /';`, /ALTER SYSTEM/],
  ['CREATE ROLE', `CREATE ROLE intruder SUPERUSER LOGIN PASSWORD 'x';`, /CREATE ROLE intruder/],
  ['ALTER ROLE', `ALTER ROLE postgres PASSWORD 'x';`, /ALTER ROLE/],
  ['CREATE DATABASE', `CREATE DATABASE other;`, /CREATE DATABASE/],
  ['\\connect', `\\connect postgres`, /\\connect/],
  ['\\! shell', `\\! touch /tmp/emily-pwned`, /\\!/],
  ['meta-command after a statement', `SELECT 1 \\g /tmp/emily-out`, /\\g/],
  ['\\copy from program', `\\copy public.settings from program 'id'`, /\\copy/],
  ['SET ROLE', `SET ROLE postgres;`, /SET ROLE/],
  ['SET SESSION AUTHORIZATION', `SET SESSION AUTHORIZATION postgres;`, /SESSION AUTHORIZATION/],
  ['untrusted-language function', `CREATE FUNCTION public.sh() RETURNS text LANGUAGE plpython3u AS $$ import os; return os.popen('id').read() $$;`, /CREATE FUNCTION public\.sh/],
  ['DO block', `DO $$ BEGIN PERFORM pg_sleep(0); END $$;`, /DO/],
  ['large object', `SELECT pg_catalog.lo_create('16400');`, /lo_create/],
  ['CREATE EXTENSION other', `CREATE EXTENSION IF NOT EXISTS plperlu;`, /plperlu/],
  ['server file read in a default', `CREATE TABLE public.leak (x text DEFAULT pg_read_file('/etc/passwd'));`, /leak/],
  ['a setting that turns escapes on', `SET standard_conforming_strings = off;`, /standard_conforming_strings/],
  ['backslash hidden after a dollar-quoted string', `CREATE TABLE public.x (a text DEFAULT $x$ '; $x$); \\! id`, /\\!/],
  // PostgreSQL reads "é$q$" as one identifier (letters include every non-ASCII byte, and $ may
  // follow the first): no dollar quote opens, so what follows is not string content.
  ['a non-ASCII identifier ending in $q$, then a psql command', `COMMENT ON TABLE public.conversations IS 'x' \u00e9$q$\n\\! touch /tmp/emily-pwned\n$q$;`, /\\!/],
  ['a non-ASCII identifier ending in $q$, hiding statements', `CREATE TABLE public.zz (\u00e9$q$ int);\nCREATE FUNCTION public.pwn() RETURNS int LANGUAGE sql AS 'SELECT 1';\nCREATE TABLE public.yy (\u00e9$q$ int);`, /public\.pwn/],
  ['a dollar-quote tag with a non-ASCII letter', `CREATE TABLE public.x (a text DEFAULT $\u00e9$ it's $\u00e9$);\n\\! touch /tmp/emily-pwned`, /\\!/],
  ['an identifier ending in E before a quote', `COMMENT ON TABLE public.conversations IS \u00e9E'\\';\n\\! touch /tmp/emily-pwned\n';`, /\\!|E'/],
  ['a client encoding other than UTF8', `SET client_encoding = 'SJIS';`, /client_encoding/],
  ['foreign server', `CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;`, /foreign/i],
  ['publication', `CREATE PUBLICATION p FOR ALL TABLES;`, /PUBLICATION/],
  ['event trigger', `CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION public.f();`, /EVENT TRIGGER/],
];

describe('hand-edited plain dumps', () => {
  it.each(HAND_EDITS)('%s', async (_label, line, mentions) => {
    const text = fs.readFileSync(goodPlain, 'utf8');
    const at = text.indexOf('SET row_security = off;\n') + 'SET row_security = off;\n'.length;
    const file = write(`edit-${_label.replace(/\W+/g, '-')}.sql`, text.slice(0, at) + line + '\n' + text.slice(at));
    await refused(file, 'UNSAFE_DUMP', mentions);
    expect(fs.existsSync('/tmp/emily-pwned')).toBe(false);
  });

  it('an edit deep inside the script, after table data, is refused too', async () => {
    const text = fs.readFileSync(goodPlain, 'utf8');
    const file = write('edit-late.sql', text.replace('\\unrestrict', 'CREATE FUNCTION public.late() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n\\unrestrict'));
    await refused(file, 'UNSAFE_DUMP', /public\.late/);
  });
});

describe('export to a bad place', () => {
  it('a device as output is refused before anything runs', async () => {
    await expect(exportUser(t.emily, keeper, '/dev/full')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('a missing folder', async () => {
    await expect(exportUser(t.emily, keeper, path.join(dir, 'no', 'such', 'x.dump'))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('an existing file is kept unless replacing it was asked for', async () => {
    const file = write('already-there.dump', 'my notes');
    await expect(exportUser(t.emily, keeper, file)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('--force') });
    expect(fs.readFileSync(file, 'utf8')).toBe('my notes');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
    await exportUser(t.emily, keeper, file, { overwrite: true });
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');
  });

  it("Emily's own data folder is refused, whatever the file (its secrets live there)", async () => {
    const secrets = path.join(t.emily.home, 'secrets.json');
    const before = fs.readFileSync(secrets);
    await expect(exportUser(t.emily, keeper, secrets, { overwrite: true, outsideOf: t.emily.home })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('data folder') });
    await expect(exportUser(t.emily, keeper, path.join(t.emily.home, 'pgdata', 'new.dump'), { outsideOf: t.emily.home })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(fs.readFileSync(secrets)).toEqual(before);
  });

  it('a full disk gives DISK_FULL and leaves no file', async () => {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-tiny-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mnt]);
    try {
      await expect(exportUser(t.emily, keeper, path.join(mnt, 'x.dump'), { format: 'plain' })).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(fs.readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmdirSync(mnt);
    }
  });
});
