import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emily } from '../../../electron/core/emily.js';
import { createUser, deleteUser } from '../../../electron/operations/users.js';
import { exportUser } from '../../../electron/portability/exportDump.js';
import { importDump } from '../../../electron/portability/importDump.js';
import { useTestEmily } from '../../support/testEmily.js';
import { fingerprint, seedUser } from './helpers.js';

/**
 * A second, separate embedded PostgreSQL (own data folder, own port, own secrets) stands in
 * for a hosted Emily server. Dumps travel between the two in both directions.
 */
const t = useTestEmily();
const hostedHome = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-hosted-'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-2c-'));
let hosted: Emily;
const localImports: string[] = [];

beforeAll(async () => {
  hosted = await Emily.open({ home: hostedHome });
  expect(hosted.cluster.admin().port).not.toBe(t.emily.cluster.admin().port);
});

afterAll(async () => {
  for (const id of localImports) await deleteUser(t.emily, id).catch(() => undefined);
  await hosted?.close({ stopServer: true });
  fs.rmSync(hostedHome, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['custom', 'plain'] as const)('lossless round trip between two servers (%s)', (format) => {
  it('hosted → local → hosted', async () => {
    const origin = await createUser(hosted, 'hosted emily');
    await seedUser(hosted, origin.id, { memories: 30, turns: 50 });
    const print = await fingerprint(hosted, origin.id);
    const f1 = path.join(dir, `h2l.${format}`);
    await exportUser(hosted, origin.id, f1, { format });
    const local = await importDump(t.emily, f1, { name: 'from hosted' });
    localImports.push(local.user.id);
    expect(await fingerprint(t.emily, local.user.id)).toEqual(print);
    const f2 = path.join(dir, `l2h.${format}`);
    await exportUser(t.emily, local.user.id, f2, { format });
    const back = await importDump(hosted, f2, { name: 'back home' });
    expect(await fingerprint(hosted, back.user.id)).toEqual(print);
  });

  it('local → hosted → local', async () => {
    const origin = await t.user('local emily');
    await seedUser(t.emily, origin.id, { memories: 25, turns: 35 });
    const print = await fingerprint(t.emily, origin.id);
    const f1 = path.join(dir, `l2h-first.${format}`);
    await exportUser(t.emily, origin.id, f1, { format });
    const there = await importDump(hosted, f1, { name: 'on hosted' });
    expect(await fingerprint(hosted, there.user.id)).toEqual(print);
    const f2 = path.join(dir, `h2l-back.${format}`);
    await exportUser(hosted, there.user.id, f2, { format });
    const back = await importDump(t.emily, f2, { name: 'home again' });
    localImports.push(back.user.id);
    expect(await fingerprint(t.emily, back.user.id)).toEqual(print);
    // Export of the re-import gives the same rows as the first export.
    const f3 = path.join(dir, `final.${format}`);
    await exportUser(t.emily, back.user.id, f3, { format });
    if (format === 'plain') expect(dataOf(f3)).toEqual(dataOf(f1));
  });
});

/** The COPY sections of a plain dump (restrict keys and comments differ between runs). */
function dataOf(file: string): string {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('\\restrict') && !l.startsWith('\\unrestrict') && !l.startsWith('--'))
    .join('\n');
}
