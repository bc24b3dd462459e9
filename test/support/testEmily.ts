import { afterAll, beforeAll, inject } from 'vitest';
import { Emily, type EmilyOptions } from '../../electron/core/emily.js';
import type { UserRecord } from '../../electron/databases/catalog.js';
import { withSetupLock } from '../../electron/databases/template.js';
import { createUser, deleteUser } from '../../electron/operations/users.js';

export interface TestEmily {
  readonly emily: Emily;
  /** Creates a user that is deleted when the file's tests end. */
  user(name?: string): Promise<UserRecord>;
}

/**
 * Attaches the test file to the run's server. Users it creates are cloned from the
 * template and dropped after the file.
 */
export function useTestEmily(opts: Omit<EmilyOptions, 'home'> = {}): TestEmily {
  let emily: Emily | undefined;
  const created: string[] = [];
  beforeAll(async () => {
    emily = await Emily.open({ ...opts, home: inject('emilyHome') });
  });
  afterAll(async () => {
    if (!emily) return;
    for (const id of created) await deleteUser(emily, id).catch(() => undefined);
    await emily.close({ stopServer: false });
  });
  return {
    get emily() {
      if (!emily) throw new Error('useTestEmily: not opened yet (use it inside tests/hooks)');
      return emily;
    },
    async user(name = 'test user') {
      const u = await createUser(this.emily, name);
      created.push(u.id);
      return u;
    },
  };
}

export function testHome(): string {
  return inject('emilyHome');
}

/**
 * Every test file shares one cluster, and opening Emily finishes an interrupted replace or
 * restore. A test that makes one and then looks at it holds the setup lock meanwhile, which
 * every open takes first: another file's open waits instead of finishing it under the test.
 */
export function withOpensHeld<T>(emily: Emily, fn: () => Promise<T>): Promise<T> {
  return withSetupLock(emily.primaryAdmin(), fn);
}
