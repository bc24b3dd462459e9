import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedCluster } from '../cluster/cluster.js';
import { freePort } from '../cluster/freePort.js';
import { learnFromExchange } from '../cognition/index.js';
import { moveUser } from '../operations/moveUser.js';
import { createUser } from '../operations/users.js';
import { progress, withScratchEmily } from './scratch.js';

export interface MoveBenchResult {
  memories: number;
  turns: number;
  total_ms: number;
  /** How long the mover held the user's connections (the switch). */
  unavailable_ms: number;
  /** The slowest single write of a writer that kept writing for the user during the move. */
  max_write_ms: number;
  writes_during_move: number;
  errors: number;
}

/**
 * One user with `memories` L3 memories (384-dim vectors, HNSW index) and as many L4 turns,
 * moved from the embedded server to a second scratch server registered in servers.json,
 * while a writer keeps adding turns for that user.
 */
export async function benchMove(opts: { memories: number }): Promise<MoveBenchResult> {
  const secondHome = fs.mkdtempSync(path.join(os.tmpdir(), 'emily-bench-s2-'));
  const second = new EmbeddedCluster({ home: secondHome, port: await freePort() });
  await second.start();
  const prev = process.env.EMILY_SERVERS;
  try {
    const a = second.admin();
    process.env.EMILY_SERVERS = `two=postgres://${a.user}:${encodeURIComponent(a.password)}@${a.host}:${a.port}`;
    return await withScratchEmily({ spareDatabases: 0 }, async (emily) => {
      const u = await createUser(emily, 'move bench', { server: 'local' });
      await learnFromExchange(emily, u.id, { userText: 'Remember that the bench has a sister called Alma.', assistantText: 'Noted.' });
      progress(`seeding ${opts.memories} memories and turns`);
      await emily.withUserTransaction(u.id, async (c) => {
        const conv = (await c.query<{ id: string }>("INSERT INTO conversations (title) VALUES ('bench') RETURNING id")).rows[0]!.id;
        await c.query("INSERT INTO turns (conversation_id, role, content) SELECT $1, 'user', 'bench turn number ' || g FROM generate_series(1, $2::int) g", [conv, opts.memories]);
        await c.query(
          `WITH m AS (INSERT INTO memories (content, kind, source) SELECT 'bench fact number ' || g, 'fact', 'user-stated' FROM generate_series(1, $1::int) g RETURNING id)
           INSERT INTO memory_embeddings (memory_id, model_idx, embedding)
           SELECT m.id, (SELECT min(idx) FROM embedding_models), (SELECT array_agg(sin(m.id * g))::real[]::vector FROM generate_series(1, 384) g) FROM m`,
          [opts.memories],
        );
      });
      const counts = await emily.withUser(u.id, async (c) => (await c.query<{ m: number; t: number }>('SELECT (SELECT count(*)::int FROM memories) AS m, (SELECT count(*)::int FROM turns) AS t')).rows[0]!);
      let stop = false;
      let writes = 0;
      let errors = 0;
      let maxWrite = 0;
      const conv = await emily.withUser(u.id, async (c) => (await c.query<{ id: string }>("INSERT INTO conversations (title) VALUES ('writer') RETURNING id")).rows[0]!.id);
      const writer = (async () => {
        while (!stop) {
          const t0 = performance.now();
          try {
            await emily.withUser(u.id, (c) => c.query("INSERT INTO turns (conversation_id, role, content) VALUES ($1, 'user', 'during the move')", [conv]));
            writes++;
          } catch {
            errors++;
          }
          maxWrite = Math.max(maxWrite, performance.now() - t0);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const r = await moveUser(emily, u.id, 'two', { progress });
      stop = true;
      await writer;
      return { memories: counts.m, turns: counts.t, total_ms: r.totalMs, unavailable_ms: r.unavailableMs, max_write_ms: Math.round(maxWrite), writes_during_move: writes, errors };
    });
  } finally {
    if (prev === undefined) delete process.env.EMILY_SERVERS;
    else process.env.EMILY_SERVERS = prev;
    await second.stop({ force: true }).catch(() => undefined);
    fs.rmSync(secondHome, { recursive: true, force: true });
  }
}
