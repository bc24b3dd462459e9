import type pg from 'pg';
import { sqlState } from '../core/errors.js';

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** fn inside BEGIN … COMMIT on this client; rolled back when it throws. */
export async function inTransaction<C extends pg.ClientBase, T>(client: C, fn: (client: C) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** Runs a whole transaction again (up to three times) when it lost a serialization race or a deadlock. */
export async function retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      const state = sqlState(e);
      if (!state || !RETRYABLE.has(state) || n >= 3) throw e;
    }
  }
}
