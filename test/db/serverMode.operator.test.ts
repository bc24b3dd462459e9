import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startMultiUserServer } from '../../electron/server/multiUserServer.js';
import { raw } from '../support/http.js';
import { useTestEmily, testHome } from '../support/testEmily.js';

const t = useTestEmily();
const PASSWORD = 'operator made this one';

/** Runs the emily command with stdin; the password never appears among its arguments. */
function emily(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/emily.mjs', ...args], { env: { ...process.env, EMILY_HOME: testHome() } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    p.stderr.on('data', (d) => (stderr += String(d)));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

describe('server mode for operators: --no-signup and "emily accounts create"', () => {
  it('refuses sign-ups when closed; an account made on the command line signs in', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-op-'));
    const server = await startMultiUserServer({ emily: t.emily, services: {}, rendererDir: dir, signup: false, log: false });
    try {
      const headers = { 'content-type': 'application/json', origin: `http://127.0.0.1:${server.port}` };
      const refused = await raw(server.port, { method: 'POST', path: '/auth/signup', headers, body: JSON.stringify({ username: 'op-walkin', password: PASSWORD }) });
      expect(refused.status).toBe(403);
      expect(refused.json().error?.code).toBe('FORBIDDEN');
      expect((await server.accounts.list()).map((a) => a.username)).not.toContain('op-walkin');

      const made = await emily(['accounts', 'create', 'op-carmen', '--json'], `${PASSWORD}\n`);
      expect(made.code, made.stderr).toBe(0);
      const account = JSON.parse(made.stdout) as { userId: string; username: string };
      expect(account.username).toBe('op-carmen');
      const listed = JSON.parse((await emily(['accounts', 'list', '--json'], '')).stdout) as { username: string }[];
      expect(listed.map((a) => a.username)).toContain('op-carmen');
      const short = await emily(['accounts', 'create', 'op-dora', '--json'], 'short\n');
      expect(short.code).toBe(2);

      const login = await raw(server.port, { method: 'POST', path: '/auth/login', headers, body: JSON.stringify({ username: 'op-carmen', password: PASSWORD }) });
      expect(login.status).toBe(200);
      await server.accounts.remove(account.userId);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
