import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recall } from '../../../electron/cognition/index.js';
import type { Embedder } from '../../../electron/embeddings/types.js';
import { exportUser } from '../../../electron/portability/exportDump.js';
import { importDump } from '../../../electron/portability/importDump.js';
import { useTestEmily } from '../../support/testEmily.js';
import { seedUser } from './helpers.js';

const t = useTestEmily();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-vector-sizes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The seeded profile's 8-dimension model, in process: every text gets the same vector. */
const localMini: Embedder = { id: 'local-mini', dimensions: 8, maxBatch: 64, embed: (texts) => Promise.resolve(texts.map(() => Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]))) };

/** The dump's first data row of `table`, with its vector column (the third) replaced. */
function withVector(text: string, table: string, vector: string): string {
  const line = text.indexOf('\n', text.indexOf(`COPY public.${table} `)) + 1;
  const end = text.indexOf('\n', line);
  const row = text.slice(line, end).split('\t');
  expect(row[2]).toMatch(/^\[/);
  row[2] = vector;
  return text.slice(0, line) + row.join('\t') + text.slice(end);
}

describe('a dump whose vectors do not fit their model', () => {
  it('is imported without them: the HNSW index builds, recall works, everything else is kept', async () => {
    const u = await t.user('sizes');
    await seedUser(t.emily, u.id, { memories: 10, turns: 10 });
    const file = path.join(dir, 'good.sql');
    await exportUser(t.emily, u.id, file, { format: 'plain' });
    const edited = path.join(dir, 'edited.sql');
    fs.writeFileSync(edited, withVector(withVector(fs.readFileSync(file, 'utf8'), 'memory_embeddings', '[1,2,3]'), 'turn_embeddings', '[4,5]'));

    const r = await importDump(t.emily, edited, { name: 'edited' });
    expect(r.droppedVectors).toBe(2);
    expect(r.vectorIndexErrors).toEqual([]);
    const left = await t.emily.withUser(r.user.id, (c) =>
      c.query(`SELECT (SELECT count(*)::int FROM memory_embeddings) AS m, (SELECT count(*)::int FROM turn_embeddings) AS t,
                      (SELECT count(*)::int FROM memories) AS memories, to_regclass('memory_embeddings_hnsw_1') IS NOT NULL AS indexed`),
    );
    const before = await t.emily.withUser(u.id, (c) => c.query('SELECT (SELECT count(*)::int FROM memory_embeddings) AS m, (SELECT count(*)::int FROM turn_embeddings) AS t'));
    expect(left.rows[0]).toEqual({ m: before.rows[0].m - 1, t: before.rows[0].t - 1, memories: 10, indexed: true });
    // The counts it reports are what is there, and the left-out vectors are queued to be built again.
    expect([r.rows.memory_embeddings, r.rows.turn_embeddings]).toEqual([left.rows[0].m, left.rows[0].t]);
    const jobs = await t.emily.withUser(r.user.id, (c) => c.query("SELECT payload FROM jobs WHERE kind = 'reembed' AND status = 'queued'"));
    expect(jobs.rows.map((j) => j.payload)).toContainEqual({ current: true });
    const found = await recall(t.emily, r.user.id, 'tea hiking', { embedder: localMini, k: 5 });
    expect(found.model).toBe('local-mini');
    expect(found.results.length).toBeGreaterThan(0);

    // The same dump untouched keeps every vector.
    const clean = await importDump(t.emily, file, { name: 'clean' });
    expect(clean.droppedVectors).toBe(0);
  });
});
