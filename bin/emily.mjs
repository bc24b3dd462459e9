#!/usr/bin/env node
// The `emily` command. Runs the compiled core when present (packaged app), else the
// TypeScript sources through tsx (a clone).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'electron', 'cli', 'main.js');
let entry;
if (existsSync(compiled) && !process.env.EMILY_FROM_SOURCE) {
  entry = compiled;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'electron', 'cli', 'main.ts');
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv);
