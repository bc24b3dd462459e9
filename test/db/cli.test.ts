import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Emily } from '../../electron/core/emily.js';
import { testHome } from '../support/testEmily.js';

const run = promisify(execFile);

async function emily(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return emilyWith({}, ...args);
}

async function emilyWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['bin/emily.mjs', ...args], { env: { ...process.env, EMILY_HOME: testHome(), ...env } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the emily command', () => {
  it('creates, lists and deletes a user with --json, attached to the running server', async () => {
    const created = await emily('users', 'create', 'CLI "test"; user', '--json');
    expect(created.code).toBe(0);
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ displayName: 'CLI "test"; user', status: 'ready', dbName: `emily_u_${user.id}` });

    const list = JSON.parse((await emily('users', 'list', '--json')).stdout);
    expect(list.map((u: { id: string }) => u.id)).toContain(user.id);

    const stats = JSON.parse((await emily('stats', '--all-users', '--json')).stdout);
    expect(stats.perUser.find((u: { userId: string }) => u.userId === user.id)).toMatchObject({ ok: true, value: { l3: 0, l4: 0 } });

    const deleted = await emily('users', 'delete', user.id, '--json');
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ ok: true, id: user.id });
    const after = JSON.parse((await emily('users', 'list', '--json')).stdout);
    expect(after.map((u: { id: string }) => u.id)).not.toContain(user.id);
  });

  it('fails with a clear message and a non-zero exit code on bad input', async () => {
    const bad = await emily('users', 'delete', "x'; DROP DATABASE emily_catalog", '--json');
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(bad.stderr).toMatch(/not a valid user id/);

    const unknown = await emily('users', 'delete', 'abcdefghijkl');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no user with id abcdefghijkl; "emily users list" shows the users/);

    const empty = await emily('users', 'create', '   ', '--json');
    expect(empty.code).toBe(2);
    expect(JSON.parse(empty.stdout).error.message).toMatch(/cannot be empty/);

    // Argument mistakes too: one JSON document with --json, the usage on stderr, exit code 2.
    const missing = await emily('users', 'create', '--json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({ ok: false, error: { code: 'BAD_INPUT', message: "missing required argument 'name'" } });
    expect(missing.stderr).toMatch(/Usage: emily users create/);
    const typo = await emily('users', 'lsit', '--json');
    expect(typo.code).toBe(2);
    expect(JSON.parse(typo.stdout).error.message).toMatch(/unknown command 'lsit'/);
    const port = await emilyWith({ EMILY_PG_PORT: 'abc' }, 'users', 'list', '--json');
    expect(port.code).toBe(2);
    expect(JSON.parse(port.stdout).error.message).toMatch(/EMILY_PG_PORT must be a port number/);
    expect((await emily('--help')).code).toBe(0);
  });

  it("delete-profile says its backups stay, and backups delete removes a deleted profile's backups", { timeout: 150_000 }, async () => {
    const user = JSON.parse((await emily('users', 'create', 'Backed up', '--json')).stdout);
    expect((await emily('backup', '--user', user.id, '--json')).code).toBe(0);
    const deleted = await emily('delete-profile', user.id);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`its 1 backup(s) stay ("emily backups delete --user ${user.id}" removes them)`);
    expect(JSON.parse((await emily('backups', 'list', '--user', user.id, '--json')).stdout)).toHaveLength(1);
    const neither = await emily('backups', 'delete', '--json');
    expect(neither.code).toBe(2);
    expect(JSON.parse(neither.stdout).error.message).toMatch(/give either a backup id/);
    expect(JSON.parse((await emily('backups', 'delete', '--user', user.id, '--json')).stdout)).toEqual({ ok: true, removed: 1 });
    expect(JSON.parse((await emily('backups', 'list', '--user', user.id, '--json')).stdout)).toEqual([]);
  });

  it('runs migrate and doctor over every database with a per-database report', async () => {
    // Other test files leave deliberately broken databases around, so the exit code may be 1.
    const migrate = await emilyWith({ EMILY_PROGRESS: '1' }, 'migrate', '--json');
    const m = JSON.parse(migrate.stdout);
    expect(m).toMatchObject({ template: { ok: true } });
    expect(migrate.code).toBe(m.failed ? 1 : 0);
    // Progress goes to stderr, ending at every database; stdout stays one JSON document.
    expect(migrate.stderr).toContain(`migrated ${m.users.length}/${m.users.length} databases`);
    const doctor = await emilyWith({ EMILY_PROGRESS: '1' }, 'doctor', '--json');
    const report = JSON.parse(doctor.stdout);
    expect(report.cluster).toMatchObject({ ok: true, vectorAvailable: expect.stringMatching(/^0\.8/) });
    expect(report.template.ok).toBe(true);
    expect(doctor.stderr).toMatch(/checked (\d+)\/\1 databases/);
    const stats = await emilyWith({ EMILY_PROGRESS: '1' }, 'stats', '--all-users', '--json');
    const s = JSON.parse(stats.stdout);
    expect(stats.code).toBe(s.failed ? 1 : 0);
    expect(stats.stderr).toContain(`counted ${s.users}/${s.users} databases`);
    expect((await emily('migrate', '--concurrency', 'many', '--json')).code).toBe(2);
  });

  // Nine "emily" processes in a row (see below).
  it('imports a dump whose vectors are of another model, queues their re-embedding, and shows its progress in "emily jobs"', { timeout: 150_000 }, async () => {
    const made = JSON.parse((await emily('users', 'create', 'hosted', '--json')).stdout) as { id: string };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-cli-import-'));
    let imported: { user: { id: string }; reembedJob: number | null } | undefined;
    try {
      expect((await emily('remember', '--user', made.id, 'my sister is called Ana', '--json')).code).toBe(0);
      // Nothing to remember is refused, not stored as the memory "That.".
      for (const empty of ['', '   ', '...']) {
        const refused = await emily('remember', '--user', made.id, empty, '--json');
        expect(refused.code).toBe(2);
        expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'BAD_INPUT' });
      }
      // As if it came from a hosted Emily: its vectors belong to a model this machine does not run.
      const emilyDoor = await Emily.open({ home: testHome() });
      try {
        await emilyDoor.withUser(made.id, (c) => c.query("UPDATE embedding_models SET id = 'hosted-embed-v3'"));
      } finally {
        await emilyDoor.close({ stopServer: false });
      }
      const file = path.join(dir, 'hosted.dump');
      expect((await emily('export', '--user', made.id, '--out', file, '--json')).code).toBe(0);
      const r = await emily('import', file, '--name', 'from hosted', '--json');
      expect(r.code).toBe(0);
      imported = JSON.parse(r.stdout);
      expect(imported!.reembedJob).toEqual(expect.any(Number));
      const jobs = JSON.parse((await emily('jobs', '--user', imported!.user.id, '--active', '--json')).stdout) as { jobs: { id: number; kind: string; status: string; progress: number; message: string }[] };
      expect(jobs.jobs).toEqual([expect.objectContaining({ id: imported!.reembedJob, kind: 'reembed', status: 'queued', progress: 0, message: expect.stringMatching(/^Re-embedding/) })]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await emily('users', 'delete', made.id);
      if (imported) await emily('users', 'delete', imported.user.id);
    }
  });

  // Ten "emily" processes in a row: on a slow VM each one's start alone takes seconds.
  it('import --replace puts a dump in place of a profile: same id, the dump\'s memories, the old ones gone', { timeout: 150_000 }, async () => {
    const from = JSON.parse((await emily('users', 'create', 'cli source', '--json')).stdout) as { id: string };
    const into = JSON.parse((await emily('users', 'create', 'cli replaced', '--json')).stdout) as { id: string };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-cli-replace-'));
    try {
      expect((await emily('remember', '--user', from.id, 'my brother Tomas plays the oboe', '--json')).code).toBe(0);
      expect((await emily('remember', '--user', into.id, 'my old flat was in Leeds', '--json')).code).toBe(0);
      const file = path.join(dir, 'source.dump');
      expect((await emily('export', '--user', from.id, '--out', file, '--json')).code).toBe(0);
      expect((await emily('import', file, '--replace', into.id, '--name', 'x', '--json')).code).toBe(2);
      const r = await emily('import', file, '--replace', into.id, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).user).toMatchObject({ id: into.id, displayName: 'cli replaced', status: 'ready' });
      const recalled = JSON.parse((await emily('recall', '--user', into.id, 'brother oboe Leeds flat', '--json')).stdout) as { results: { content: string }[] };
      expect(recalled.results.map((m) => m.content)).toEqual(['My brother Tomas plays the oboe.']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await emily('users', 'delete', from.id);
      await emily('users', 'delete', into.id);
    }
  });
});
