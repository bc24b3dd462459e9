import path from 'node:path';
import { appRoot } from '../core/appRoot.js';

export { appRoot };

/** Where Vite writes the renderer (git-ignored; built by "npm run build:renderer"). */
export function rendererDist(): string {
  return path.join(appRoot(), 'renderer', 'dist');
}
