import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or app) root: the nearest folder above this module with package.json. */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the app root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Where Vite writes the renderer (git-ignored; built by "npm run build:renderer"). */
export function rendererDist(): string {
  return path.join(appRoot(), 'renderer', 'dist');
}
