import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../electron/databases/migrations.js';
import { testTempDir } from '../support/tempDir.js';

function tempMigrations(files: Record<string, string>): string {
  const root = testTempDir('emily-mig-');
  fs.mkdirSync(path.join(root, 'user'));
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(root, 'user', name), sql);
  return root;
}

describe('migration files', () => {
  it('loads the shipped migrations in order with checksums', () => {
    const list = loadMigrations('user');
    expect(list.length).toBeGreaterThan(0);
    list.forEach((m, i) => {
      expect(m.id).toBe(i + 1);
      expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  it('refuses gaps and badly named files', () => {
    expect(() => loadMigrations('user', tempMigrations({ '0001_a.sql': 'SELECT 1', '0003_c.sql': 'SELECT 1' }))).toThrow(/without gaps/);
    expect(() => loadMigrations('user', tempMigrations({ '1_a.sql': 'SELECT 1' }))).toThrow(/NNNN_name/);
  });

  it('gives files checked out with CRLF line endings the checksums of the shipped ones', () => {
    const shipped = loadMigrations('user');
    const root = testTempDir('emily-mig-crlf-');
    fs.mkdirSync(path.join(root, 'user'));
    for (const m of shipped) fs.writeFileSync(path.join(root, 'user', `${String(m.id).padStart(4, '0')}_${m.name}.sql`), m.sql.replace(/\n/g, '\r\n'));
    expect(loadMigrations('user', root).map((m) => m.checksum)).toEqual(shipped.map((m) => m.checksum));
  });
});
