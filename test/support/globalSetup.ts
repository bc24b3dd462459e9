import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { Emily } from '../../electron/core/emily.js';

/**
 * One real embedded PostgreSQL (with pgvector) per test run, in a scratch data folder.
 * Test files attach to it and work in user databases cloned from its template.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-test-'));
  const emily = await Emily.open({ home });
  project.provide('emilyHome', home);
  return async () => {
    await emily.close({ stopServer: true });
    fs.rmSync(home, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    emilyHome: string;
  }
}
