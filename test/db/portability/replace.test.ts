import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportUser } from '../../../electron/portability/exportDump.js';
import { importDump } from '../../../electron/portability/importDump.js';
import { listBackups } from '../../../electron/portability/backups.js';
import { restoreBackup } from '../../../electron/portability/restoreBackup.js';
import { deleteUser } from '../../../electron/operations/users.js';
import type { UserRecord } from '../../../electron/databases/catalog.js';
import { useTestEmily } from '../../support/testEmily.js';
import { assertNoDebris, fingerprint, seedUser } from './helpers.js';

/**
 * An Emily brought in from elsewhere in place of a live profile (server mode's way in, and
 * "replace this profile" on the desktop): same profile id, name, database name and role;
 * the dump's rows exactly; nothing of the old Emily; nothing left over.
 */
const t = useTestEmily();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-replace-'));
let elsewhere: UserRecord;
let dump: string;
let elsewherePrint: Record<string, string>;

beforeAll(async () => {
  elsewhere = await t.user('the Emily from elsewhere');
  await seedUser(t.emily, elsewhere.id, { memories: 40, turns: 60 });
  elsewherePrint = await fingerprint(t.emily, elsewhere.id);
  dump = path.join(dir, 'elsewhere.dump');
  await exportUser(t.emily, elsewhere.id, dump, { format: 'custom' });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const profilesNamed = async (name: string) => (await t.emily.catalog.list({ includeAll: true })).filter((u) => u.displayName === name).map((u) => [u.id, u.status]);

describe('replacing a profile with a dump', () => {
  it("the profile keeps its id, name, database and role, and holds the dump's Emily, exactly", async () => {
    const live = await t.user('replace me');
    await seedUser(t.emily, live.id, { memories: 5, turns: 7 });
    const old = await fingerprint(t.emily, live.id);
    const r = await importDump(t.emily, dump, { name: live.displayName, replace: live });
    expect(r.user).toMatchObject({ id: live.id, displayName: live.displayName, dbName: live.dbName, roleName: live.roleName, status: 'ready' });
    expect(await fingerprint(t.emily, live.id)).toEqual(elsewherePrint);
    expect(await profilesNamed(live.displayName)).toEqual([[live.id, 'ready']]);
    await assertNoDebris(t.emily, 'a name no profile has');
    // Her own role owns what came in: she writes as before.
    await t.emily.withUserTransaction(live.id, async (c) => {
      await c.query("INSERT INTO memories (content, kind, source) VALUES ('after the replace', 'fact', 'user-stated')");
      const owners = await c.query<{ o: string }>("SELECT DISTINCT tableowner AS o FROM pg_tables WHERE schemaname = 'public'");
      expect(owners.rows.map((x) => x.o)).toEqual([live.roleName]);
    });
    // The dump's source is untouched.
    expect(await fingerprint(t.emily, elsewhere.id)).toEqual(elsewherePrint);
    // What the profile held is kept as a backup, taken just before the swap: it gives her back exactly.
    expect(r.previous).toMatchObject({ userId: live.id, kind: 'manual' });
    expect(listBackups(t.emily, { userId: live.id }).map((b) => b.id)).toEqual([r.previous!.id]);
    const back = await restoreBackup(t.emily, r.previous!.id, { as: 'the replaced one, back' });
    try {
      expect(await fingerprint(t.emily, back.user.id)).toEqual(old);
    } finally {
      await deleteUser(t.emily, back.user.id);
    }
  });

  it('a refused dump changes nothing: the profile keeps its Emily, and no copy is left behind', async () => {
    const live = await t.user('keep me');
    await seedUser(t.emily, live.id, { memories: 6, turns: 9 });
    const before = await fingerprint(t.emily, live.id);
    const text = path.join(dir, 'evil.sql');
    await exportUser(t.emily, elsewhere.id, text, { format: 'plain' });
    fs.writeFileSync(text, fs.readFileSync(text, 'utf8').replace('\\unrestrict', 'CREATE FUNCTION public.late() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n\\unrestrict'));
    await expect(importDump(t.emily, text, { name: live.displayName, replace: live })).rejects.toMatchObject({ code: 'UNSAFE_DUMP' });
    expect(await fingerprint(t.emily, live.id)).toEqual(before);
    expect(listBackups(t.emily, { userId: live.id })).toEqual([]); // refused before anything was kept or swapped
    expect(await profilesNamed(live.displayName)).toEqual([[live.id, 'ready']]);
    await assertNoDebris(t.emily, 'a name no profile has');
  });

  it('a profile that is not ready is not replaced', async () => {
    const live = await t.user('busy one');
    await t.emily.catalog.update(live.id, { status: 'moving' });
    try {
      await expect(importDump(t.emily, dump, { name: live.displayName, replace: { ...live, status: 'moving' } })).rejects.toMatchObject({ code: 'BUSY' });
    } finally {
      await t.emily.catalog.update(live.id, { status: 'ready' });
    }
    expect(await profilesNamed(live.displayName)).toEqual([[live.id, 'ready']]);
  });
});
