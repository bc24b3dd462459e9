import type { Emily } from '../core/emily.js';
import { toEmilyError } from '../core/errors.js';
import type { ProgressFn } from './progress.js';
import { oneStatement } from './scriptRunner.js';

/**
 * Builds the dump's vector indexes on a live profile, as the profile's own role. They were
 * checked by sqlPolicy with the rest of the dump; CONCURRENTLY keeps the tables writable
 * while HNSW graphs are built (tens of seconds for a well-used Emily). A failed build leaves
 * no invalid index behind; the profile keeps working by exact search until the embedder
 * registry (or doctor) builds it again.
 */
export async function buildVectorIndexes(emily: Emily, userId: string, indexes: Array<{ name: string; sql: string }>, progress: ProgressFn): Promise<{ built: string[]; errors: string[] }> {
  const built: string[] = [];
  const errors: string[] = [];
  let done = 0;
  for (const ix of indexes) {
    progress({ phase: 'index', done, total: indexes.length, message: `building vector index ${ix.name}` });
    const sql = ix.sql.replace(/^CREATE INDEX /i, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ');
    try {
      await emily.withUser(userId, (c) => c.query(oneStatement(sql)));
      built.push(ix.name);
    } catch (e) {
      errors.push(`${ix.name}: ${toEmilyError(e).message}`);
      await emily.withUser(userId, (c) => c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${c.escapeIdentifier(ix.name)}`)).catch(() => undefined);
    }
    done++;
  }
  progress({ phase: 'index', done, total: indexes.length, message: 'vector indexes ready' });
  return { built, errors };
}
