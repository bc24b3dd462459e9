import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EmilyError } from '../core/errors.js';

/**
 * Cluster secrets live in one 0600 file in Emily's home, never in a database.
 * Per-user role passwords are derived (HMAC of the role name), so no user password
 * is ever stored anywhere.
 */
export interface ClusterSecrets {
  adminPassword: string;
  roleKey: string;
}

export function loadOrCreateSecrets(file: string, opts: { mustExist?: boolean } = {}): ClusterSecrets {
  if (!fs.existsSync(file) && opts.mustExist) {
    throw new EmilyError(
      'DATA_DIR_INVALID',
      `the secrets file ${file} is missing, but this folder holds Emily's databases, which cannot be opened without it; put it back from a backup of the folder (or move the whole folder aside to start afresh; its backups can be restored into the new one)`,
    );
  }
  if (fs.existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new EmilyError('DATA_DIR_INVALID', `the secrets file ${file} is unreadable or corrupt; restore it from a backup, or move the whole data folder aside to start afresh`, { cause: e });
    }
    const s = parsed as Partial<ClusterSecrets>;
    if (typeof s.adminPassword !== 'string' || typeof s.roleKey !== 'string') {
      throw new EmilyError('DATA_DIR_INVALID', `the secrets file ${file} is missing fields; restore it from a backup`);
    }
    const mode = fs.statSync(file).mode & 0o777;
    if (mode !== 0o600) fs.chmodSync(file, 0o600);
    return { adminPassword: s.adminPassword, roleKey: s.roleKey };
  }
  const secrets: ClusterSecrets = {
    adminPassword: randomBytes(24).toString('base64url'),
    roleKey: randomBytes(32).toString('base64url'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(secrets), { mode: 0o600 });
  try {
    // A link, unlike a rename, never replaces a file: of two first starts at once, the
    // second keeps the secrets of the first.
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return loadOrCreateSecrets(file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return secrets;
}

export function rolePassword(secrets: ClusterSecrets, roleName: string): string {
  return createHmac('sha256', secrets.roleKey).update(roleName).digest('base64url');
}
