import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The app root (a clone, or the packaged app): the nearest folder above this module with package.json. */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the app root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export function appVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
