#!/usr/bin/env node
// `npm start`: builds what is missing, then opens Emily desktop (Electron). Where Electron
// cannot run (no binary was downloaded, no display), starts browser mode instead and says so.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => execFileSync(process.execPath, args, { stdio: 'inherit', cwd: root });

if (!existsSync(join(root, 'renderer', 'dist', 'index.html')) || process.env.EMILY_REBUILD) {
  run([join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(root, 'renderer', 'vite.config.ts'), '--logLevel', 'warn']);
}

function electronBinary() {
  try {
    const p = createRequire(import.meta.url)('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null; // the electron package throws when its binary was never downloaded
  }
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const electron = process.env.EMILY_BROWSER_MODE ? null : electronBinary();
let why = null;
if (process.env.EMILY_BROWSER_MODE) why = 'EMILY_BROWSER_MODE is set';
else if (!electron) why = 'Electron is not installed here (its binary was not downloaded)';
else if (!hasDisplay) why = 'there is no display to open a window on';

if (!why) {
  run([join(root, 'scripts', 'build-electron.mjs')]);
  const child = spawn(electron, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`Emily desktop cannot open a window: ${why}.\nStarting browser mode instead: open the address below in your browser.\n`);
  const child = spawn(process.execPath, [join(root, 'bin', 'emily.mjs'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root, env: { ...process.env, EMILY_FROM_SOURCE: '1' } });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
