import type pg from 'pg';
import { z } from 'zod';
import { EmilyError } from '../core/errors.js';
import { GgufEmbedder } from './ggufEmbedder.js';
import { HashEmbedder } from './hashEmbedder.js';
import { OpenAIEmbedder } from './openaiEmbedder.js';
import type { Embedder, EmbeddingConfig } from './types.js';

const SETTING = 'embedding.model';

const ConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('builtin') }),
  z.object({ kind: z.literal('openai'), baseUrl: z.string().min(1).max(500), model: z.string().min(1).max(200), dimensions: z.number().int().min(1).max(16000).optional() }),
  z.object({ kind: z.literal('gguf'), modelPath: z.string().min(1).max(4000) }),
]);

export function parseEmbeddingConfig(value: unknown): EmbeddingConfig {
  const r = ConfigSchema.safeParse(value);
  if (!r.success) throw new EmilyError('BAD_INPUT', `invalid embedding model settings: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}

/** Builds an embedder. Secrets (API keys) come from the caller, never from the user database. */
export function embedderFromConfig(config: EmbeddingConfig, secrets: { apiKey?: string } = {}): Embedder {
  switch (config.kind) {
    case 'builtin':
      return new HashEmbedder();
    case 'openai':
      return new OpenAIEmbedder({ baseUrl: config.baseUrl, model: config.model, dimensions: config.dimensions, apiKey: secrets.apiKey });
    case 'gguf':
      return new GgufEmbedder(config.modelPath);
  }
}

/** The user's chosen embedding model (the built-in one until they choose another). */
export async function readEmbeddingConfig(client: pg.ClientBase): Promise<EmbeddingConfig> {
  const r = await client.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [SETTING]);
  return r.rows[0] ? parseEmbeddingConfig(r.rows[0].value) : { kind: 'builtin' };
}

export async function writeEmbeddingConfig(client: pg.ClientBase, config: EmbeddingConfig): Promise<void> {
  const c = parseEmbeddingConfig(config);
  await client.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()',
    [SETTING, JSON.stringify(c)],
  );
}
