import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testHome } from '../support/testEmily.js';

const run = promisify(execFile);

async function emily(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['bin/emily.mjs', ...args], { env: { ...process.env, EMILY_HOME: testHome() } });
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
  });

  it('runs migrate and doctor over every database with a per-database report', async () => {
    // Other test files leave deliberately broken databases around, so the exit code may be 1.
    const migrate = await emily('migrate', '--json');
    const m = JSON.parse(migrate.stdout);
    expect(m).toMatchObject({ template: { ok: true } });
    expect(migrate.code).toBe(m.failed ? 1 : 0);
    const doctor = await emily('doctor', '--json');
    const report = JSON.parse(doctor.stdout);
    expect(report.cluster).toMatchObject({ ok: true, vectorAvailable: expect.stringMatching(/^0\.8/) });
    expect(report.template.ok).toBe(true);
  });
});
