import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser } from '../operations/users.js';
import { exportUser } from '../portability/exportDump.js';
import { importDump } from '../portability/importDump.js';
import type { Emily } from '../core/emily.js';
import { buildWellUsedEmily } from './portabilityData.js';
import { progress, withScratchEmily } from './scratch.js';
import { round } from './stats.js';

export interface PortabilityBenchResult {
  rows: number;
  dump_bytes: number;
  export_s: number;
  /** Until the imported profile is verified and live (vector indexes follow). */
  import_s: number;
  /** Building the HNSW index afterwards, on the live profile. */
  vector_index_s: number;
  import_total_s: number;
  vectors_identical: boolean;
  rows_identical: boolean;
  format: string;
}

/** Builds a well-used Emily in a scratch home, exports it and imports it back as a new profile. */
export async function benchPortability(opts: { format?: 'custom' | 'plain'; memories?: number; turns?: number } = {}): Promise<PortabilityBenchResult> {
  const format = opts.format ?? 'custom';
  return withScratchEmily({}, async (emily) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-bench-dump-'));
    try {
      const u = await createUser(emily, 'well used');
      progress('building 16,000 memories and 25,000 turns with 384-dim vectors…');
      const { rows } = await buildWellUsedEmily(emily, u.id, { memories: opts.memories, turns: opts.turns });
      await emily.withUser(u.id, (c) => c.query('VACUUM ANALYZE'));
      const file = path.join(dir, `well-used.${format === 'custom' ? 'dump' : 'sql'}`);
      progress('exporting…');
      const ex = await exportUser(emily, u.id, file, { format });
      progress('importing…');
      const im = await importDump(emily, file, { name: 'well used (imported)' });
      const [a, b] = [await digests(emily, u.id), await digests(emily, im.user.id)];
      return {
        rows,
        dump_bytes: ex.bytes,
        export_s: round(ex.seconds, 2),
        import_s: round(im.readySeconds, 2),
        vector_index_s: round(im.seconds - im.readySeconds, 2),
        import_total_s: round(im.seconds, 2),
        vectors_identical: a.vectors === b.vectors && a.vectorCount > 0 && im.vectorIndexes === 1,
        rows_identical: a.rows === b.rows,
        format,
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function digests(emily: Emily, userId: string): Promise<{ vectors: string; vectorCount: number; rows: string }> {
  return emily.withUser(userId, async (c) => {
    const v = await c.query<{ h: string; n: string }>(
      `SELECT md5(string_agg(h, '' ORDER BY k)) AS h, count(*) AS n FROM (
         SELECT 'm' || memory_id || ':' || model_idx AS k, md5(vector_send(embedding)) AS h FROM memory_embeddings
         UNION ALL SELECT 't' || turn_id || ':' || model_idx, md5(vector_send(embedding)) FROM turn_embeddings) x`,
    );
    const r = await c.query<{ h: string }>(
      `SELECT md5((SELECT string_agg(m::text, '|' ORDER BY id) FROM memories m) || (SELECT string_agg(t::text, '|' ORDER BY id) FROM turns t)
        || (SELECT string_agg(e::text, '|' ORDER BY src, dst) FROM memory_edges e)) AS h`,
    );
    return { vectors: v.rows[0]!.h, vectorCount: Number(v.rows[0]!.n), rows: r.rows[0]!.h };
  });
}
