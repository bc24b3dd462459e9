import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolePassword } from '../../../electron/cluster/secrets.js';
import { withAdminClient } from '../../../electron/databases/adminClient.js';
import { deleteUser } from '../../../electron/operations/users.js';
import { exportUser } from '../../../electron/portability/exportDump.js';
import { importDump } from '../../../electron/portability/importDump.js';
import { connectionArgs, locateTool, runTool } from '../../../electron/portability/pgTools.js';
import type { Progress } from '../../../electron/portability/progress.js';
import { useTestEmily } from '../../support/testEmily.js';
import { assertNoDebris, fingerprint, seedUser } from './helpers.js';

const t = useTestEmily();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-port-test-'));
let source: string;
let original: Record<string, string>;
const imported: string[] = [];

beforeAll(async () => {
  source = (await t.user('portable')).id;
  await seedUser(t.emily, source);
  original = await fingerprint(t.emily, source);
});

afterAll(async () => {
  for (const id of imported) await deleteUser(t.emily, id).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['custom', 'plain'] as const)('export and import (%s format)', (format) => {
  const file = path.join(dir, `portable.${format}`);

  it('writes a complete dump atomically, privately, with progress', async () => {
    const events: Progress[] = [];
    // While pg_dump writes, the half-written file is private too (a kill would leave it).
    const partialModes = new Set<number>();
    const onProgress = (p: Progress) => {
      events.push(p);
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.partial'))) partialModes.add(fs.statSync(path.join(dir, f)).mode & 0o777);
    };
    const r = await exportUser(t.emily, source, file, { format, onProgress });
    expect([...partialModes]).toEqual([0o600]);
    expect(r.bytes).toBe(fs.statSync(file).size);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(fs.readFileSync(file).subarray(0, 5).toString('latin1') === 'PGDMP').toBe(format === 'custom');
    const last = events[events.length - 1]!;
    expect(last.done).toBe(last.total);
    expect(events.filter((e) => e.message.startsWith('table ')).length).toBe(r.tables);
  });

  it('holds no secret: no admin password, no role password, no role key', async () => {
    const sql = format === 'plain' ? fs.readFileSync(file, 'utf8') : await scriptOf(file);
    expect(sql).toContain('COPY public.memories');
    const s = t.emily.cluster.secrets;
    const user = await t.emily.catalog.get(source);
    for (const secret of [s.adminPassword, s.roleKey, rolePassword(s, user.roleName)]) expect(sql).not.toContain(secret);
    // Plain dumps carry no owner or privilege; an archive always records owners (pg_restore --no-owner drops them).
    if (format === 'plain') expect(sql).not.toMatch(/OWNER TO|GRANT |REVOKE /);
  });

  it('restores with the stock tools into a plain PostgreSQL with pgvector', async () => {
    const db = `stock_${format}`;
    const a = t.emily.cluster.admin();
    await withAdminClient(a, 'postgres', (c) => c.query(`CREATE DATABASE ${db}`));
    try {
      if (format === 'custom') await runTool(locateTool('pg_restore'), [...connectionArgs({ ...a, database: db }), '--exit-on-error', '--no-owner', file], { password: a.password });
      else await runTool(locateTool('psql'), [...connectionArgs({ ...a, database: db }), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], { password: a.password });
      const n = await withAdminClient(a, db, async (c) => (await c.query<{ n: string }>('SELECT count(*) AS n FROM memory_embeddings')).rows[0]!.n);
      expect(Number(n)).toBe(60);
    } finally {
      await withAdminClient(a, 'postgres', (c) => c.query(`DROP DATABASE ${db} WITH (FORCE)`));
    }
  });

  it('imports into a new profile owned by its own non-superuser role, identical to the original', async () => {
    const events: Progress[] = [];
    const r = await importDump(t.emily, file, { name: `copy ${format}`, onProgress: (p) => events.push(p) });
    imported.push(r.user.id);
    expect(r.user.status).toBe('ready');
    expect(r.user.displayName).toBe(`copy ${format}`);
    expect(r.rows.memories).toBe(40);
    expect(r.vectorIndexes).toBe(1);
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['check', 'restore', 'verify']));
    expect(await fingerprint(t.emily, r.user.id)).toEqual(original);
    const owners = await withAdminClient(t.emily.cluster.admin(), r.user.dbName, async (c) =>
      (await c.query<{ o: string }>(`SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace WHERE nspname = 'public'`)).rows.map((x) => x.o),
    );
    expect(owners).toEqual([r.user.roleName]);
    const su = await withAdminClient(t.emily.cluster.admin(), 'postgres', async (c) => (await c.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [r.user.roleName])).rows[0]);
    expect(su).toEqual({ rolsuper: false });
    // The imported profile works through the one door, and keeps the other model's vectors.
    const models = await t.emily.withUser(r.user.id, async (c) => (await c.query('SELECT model_idx, count(*)::int AS n FROM memory_embeddings GROUP BY 1 ORDER BY 1')).rows);
    expect(models).toEqual([{ model_idx: 1, n: 40 }, { model_idx: 2, n: 20 }]);
    // The planner has statistics at once, not after autovacuum's next round.
    const analyzed = await t.emily.withUser(r.user.id, async (c) => (await c.query("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN ('memories', 'turns') ORDER BY 1")).rows);
    expect(analyzed).toEqual([{ relname: 'memories' }, { relname: 'turns' }]);
  });

  it('round-trips: export of the import, imported again, is still identical', async () => {
    const again = path.join(dir, `again.${format}`);
    await exportUser(t.emily, imported[imported.length - 1]!, again, { format });
    const r = await importDump(t.emily, again, { name: 'again' });
    imported.push(r.user.id);
    expect(await fingerprint(t.emily, r.user.id)).toEqual(original);
  });
});

describe('cancellation', () => {
  it('cancelling an import mid-restore leaves no database, role or catalog row', async () => {
    const file = path.join(dir, 'cancel.dump');
    await exportUser(t.emily, source, file);
    const ac = new AbortController();
    let restoring = false;
    const p = importDump(t.emily, file, { name: 'cancelled import', signal: ac.signal, onProgress: (e) => e.phase === 'restore' && ((restoring = true), ac.abort()) });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(restoring).toBe(true);
    await assertNoDebris(t.emily, 'cancelled import');
  });

  it('an export that cannot lock a table in time says the profile is busy and leaves no file', async () => {
    const file = path.join(dir, 'locked-export.dump');
    const db = (await t.emily.catalog.get(source)).dbName;
    await withAdminClient(t.emily.cluster.admin(), db, async (c) => {
      await c.query('BEGIN');
      await c.query('LOCK TABLE memories IN ACCESS EXCLUSIVE MODE');
      try {
        await expect(exportUser(t.emily, source, file, { lockWaitMs: 300 })).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining('locked') });
      } finally {
        await c.query('ROLLBACK');
      }
    });
    expect(fs.readdirSync(dir).filter((f) => f.includes('locked-export'))).toEqual([]);
  });

  it('cancelling an export leaves no file', async () => {
    const file = path.join(dir, 'cancelled-export.dump');
    const ac = new AbortController();
    ac.abort();
    await expect(exportUser(t.emily, source, file, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.readdirSync(dir).filter((f) => f.includes('cancelled-export'))).toEqual([]);
  });
});

function scriptOf(file: string): Promise<string> {
  return Promise.resolve(execFileSync(locateTool('pg_restore'), ['-f', '-', file], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}
