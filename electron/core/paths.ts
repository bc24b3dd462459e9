import os from 'node:os';
import path from 'node:path';

/**
 * Where Emily keeps her data. EMILY_HOME wins; otherwise the per-OS application-data
 * folder the desktop app uses (on Windows the local, not roaming, one: databases must
 * not roam). As root we use /var/lib/emily, because the server runs as the `postgres`
 * user and cannot traverse root's 0700 home.
 */
export function emilyHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EMILY_HOME && env.EMILY_HOME.trim() !== '') return path.resolve(env.EMILY_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Emily');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Emily');
    default:
      if (process.getuid?.() === 0) return '/var/lib/emily';
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'emily');
  }
}

export interface HomeLayout {
  home: string;
  pgdata: string;
  secretsFile: string;
  backups: string;
  logs: string;
}

export function homeLayout(home: string): HomeLayout {
  return {
    home,
    pgdata: path.join(home, 'pgdata'),
    secretsFile: path.join(home, 'secrets.json'),
    backups: path.join(home, 'backups'),
    logs: path.join(home, 'logs'),
  };
}
