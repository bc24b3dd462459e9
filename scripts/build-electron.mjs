#!/usr/bin/env node
// Compiles the core, CLI and Electron main process with tsc into dist/ (same layout as
// the sources, so migrations and the renderer are found by walking up), and bundles the
// preload as CommonJS: a sandboxed preload cannot load ES modules.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
await build({
  entryPoints: [join(root, 'electron', 'preload', 'index.ts')],
  outfile: join(root, 'dist', 'electron', 'preload', 'index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'chrome130',
  external: ['electron'],
  sourcemap: true,
  logLevel: 'warning',
});
console.log('built dist/electron (main, core, cli) and dist/electron/preload/index.cjs');
