import type { Emily } from '../../../electron/core/emily.js';
import { withAdminClient } from '../../../electron/databases/adminClient.js';
import { connectionArgs, locateTool, runTool } from '../../../electron/portability/pgTools.js';

/** A small but varied Emily: two embedding models, memories, turns, edges, provenance. */
export async function seedUser(emily: Emily, userId: string, opts: { memories?: number; turns?: number } = {}): Promise<void> {
  const m = opts.memories ?? 40;
  const t = opts.turns ?? 60;
  await emily.withUserTransaction(userId, async (c) => {
    await c.query(`INSERT INTO embedding_models (id, dimensions) VALUES ('local-mini', 8), ('hosted-large', 16)`);
    await c.query(`INSERT INTO conversations (title, source, source_id) VALUES ('First chat', 'chat', NULL), ('Über Kaffee ☕', 'import', 'c-1')`);
    await c.query(
      `INSERT INTO turns (conversation_id, role, content, source, source_id, meta)
       SELECT 1 + (g % 2), CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END,
              'turn ' || g || E' with\ttab, newline\nand quote '' and backslash \\ and emoji 🙂',
              CASE WHEN g % 3 = 0 THEN 'import' ELSE 'chat' END, CASE WHEN g % 3 = 0 THEN 'src-' || g END,
              jsonb_build_object('n', g)
       FROM generate_series(1, $1) g`,
      [t],
    );
    await c.query(
      `INSERT INTO memories (content, kind, source, salience, valence)
       SELECT 'memory ' || g || ' about tea, hiking and the number ' || (g * 7919 % 1000), (ARRAY['fact','preference','episode','goal'])[1 + g % 4],
              'user-stated', (g % 10) / 10.0, ((g % 21) - 10) / 10.0
       FROM generate_series(1, $1) g`,
      [m],
    );
    // Vectors with awkward floats (tiny, huge, negative zero, many digits).
    await c.query(
      `INSERT INTO memory_embeddings (memory_id, model_idx, embedding)
       SELECT id, 1, (SELECT array_agg(((random() - 0.5) * 10 ^ ((i % 7) - 3))::real) FROM generate_series(1, 8) i WHERE id > 0)::vector FROM memories`,
    );
    await c.query(
      `INSERT INTO memory_embeddings (memory_id, model_idx, embedding)
       SELECT id, 2, (SELECT array_agg(CASE WHEN i = 1 THEN '-0'::real ELSE (random() * 3.4e38)::real / 1e30 END) FROM generate_series(1, 16) i WHERE id > 0)::vector FROM memories WHERE id % 2 = 0`,
    );
    await c.query(`INSERT INTO turn_embeddings (turn_id, model_idx, embedding) SELECT id, 1, (SELECT array_agg(random()::real) FROM generate_series(1, 8) i WHERE id > 0)::vector FROM turns`);
    await c.query(`INSERT INTO memory_edges (src, dst, kind, weight) SELECT id, id + 1, 'related', 0.5 FROM memories WHERE id < $1`, [m]);
    await c.query(`INSERT INTO memory_sources (memory_id, turn_id) SELECT id, id FROM memories WHERE id <= $1`, [Math.min(m, t)]);
    await c.query(`INSERT INTO settings (key, value) VALUES ('chat.model', '"llama"'::jsonb)`);
    await c.query(`UPDATE identity SET name = 'Emily', persona = 'Kind & curious'`);
    await c.query(`CREATE INDEX memory_embeddings_hnsw_1 ON memory_embeddings USING hnsw ((embedding::vector(8)) vector_cosine_ops) WHERE model_idx = 1`);
  });
}

/** Per table: row count and a hash over every row's text and every vector's binary form. */
export async function fingerprint(emily: Emily, userId: string): Promise<Record<string, string>> {
  return emily.withUser(userId, async (c) => {
    const tables = (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t);
    const out: Record<string, string> = {};
    for (const t of tables) {
      const r = await c.query<{ n: string; h: string | null }>(`SELECT count(*) AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM public.${c.escapeIdentifier(t)} x`);
      out[t] = `${r.rows[0]!.n}:${r.rows[0]!.h}`;
    }
    for (const t of ['memory_embeddings', 'turn_embeddings']) {
      const r = await c.query<{ h: string }>(`SELECT md5(string_agg(encode(vector_send(embedding), 'hex'), '' ORDER BY 1)) AS h FROM public.${t}`);
      out[`${t}#binary`] = r.rows[0]!.h;
    }
    return out;
  });
}

/** pg_dump as the superuser (for crafting hostile dumps of scratch databases). */
export async function adminDump(emily: Emily, database: string, file: string, format: 'custom' | 'plain'): Promise<void> {
  const a = emily.cluster.admin();
  await runTool(locateTool('pg_dump'), [...connectionArgs({ ...a, database }), '--format', format === 'custom' ? 'c' : 'p', '--file', file], { password: a.password });
}

export async function adminSql(emily: Emily, database: string, sql: string): Promise<void> {
  await withAdminClient(emily.cluster.admin(), database, (c) => c.query(sql));
}

export async function catalogSnapshot(emily: Emily): Promise<string> {
  return JSON.stringify((await emily.catalog.list({ includeAll: true })).map((u) => [u.id, u.status, u.dbName]));
}

export async function databaseNames(emily: Emily): Promise<string[]> {
  return withAdminClient(emily.cluster.admin(), 'postgres', async (c) => (await c.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname NOT LIKE 'emily\\_spare\\_%' ORDER BY 1")).rows.map((r) => r.d));
}

export async function roleNames(emily: Emily): Promise<string[]> {
  return withAdminClient(emily.cluster.admin(), 'postgres', async (c) => (await c.query<{ r: string }>("SELECT rolname AS r FROM pg_roles WHERE rolname LIKE 'emily_%' ORDER BY 1")).rows.map((r) => r.r));
}

/**
 * Other test files create and drop users on the same server at the same time, so "nothing
 * changed" is checked as: no profile with this name exists in any state, and no user
 * database or role exists without its catalog row (provisioning writes the row first and
 * deletion removes it last, so that holds at every instant).
 */
export async function assertNoDebris(emily: Emily, profileName: string): Promise<void> {
  const rows = await emily.catalog.list({ includeAll: true });
  if (rows.some((u) => u.displayName === profileName)) throw new Error(`a profile named "${profileName}" was left behind`);
  const ids = new Set(rows.map((u) => u.id));
  const orphans = [...(await databaseNames(emily)), ...(await roleNames(emily))].filter((n) => /^emily_[ur]_/.test(n) && !ids.has(n.slice(8)));
  // Re-check against fresh listings: a user created or deleted meanwhile is not debris.
  const again = new Set((await emily.catalog.list({ includeAll: true })).map((u) => u.id));
  const present = new Set([...(await databaseNames(emily)), ...(await roleNames(emily))]);
  const real = orphans.filter((n) => !again.has(n.slice(8)) && present.has(n));
  if (real.length) throw new Error(`databases or roles without a catalog row: ${real.join(', ')}`);
}
