import type { Emily } from '../core/emily.js';
import { embedderFromConfig, readEmbeddingConfig } from '../embeddings/config.js';
import { HashEmbedder } from '../embeddings/hashEmbedder.js';
import { ensureModel, embedderDimensions, type EmbeddingModel } from '../embeddings/registry.js';
import type { Embedder } from '../embeddings/types.js';
import { RulesExtractor, type CandidateExtractor } from './extractor.js';
import type { Framework } from './framework.js';
import type { TurnReader } from './modelReader.js';
import { embedderSizeChanged } from './vectors.js';

/** What cognition needs of the core: the one door to a user's data. */
export type UserDoor = Pick<Emily, 'withUser' | 'withUserTransaction'>;

/** A text and the vector one embedder made of it. */
export interface EmbeddedText {
  text: string;
  vector: ArrayLike<number>;
}

export interface CognitionOptions {
  /** The user's embedding model; the built-in offline embedder when omitted. */
  embedder?: Embedder;
  /** Candidate extraction; deterministic rules when omitted. */
  extractor?: CandidateExtractor;
  /**
   * Reads the turn instead of the extractor: candidates and the reaction to the previous
   * reply, from the language model when one is configured (see ModelTurnReader).
   */
  reader?: TurnReader;
  /**
   * When the embedder fails, keep the exchange without vectors instead of failing it, and
   * leave the user's turn unconsolidated so that the backlog consolidation learns from it
   * later (a chat's reply has already been shown: it must not be lost).
   */
  keepWithoutVectors?: boolean;
  /**
   * What the caller already looked up in this turn (a chat turn's recall): the embedder's
   * model (ignored if it is another model's), the active framework, and a text this
   * embedder already embedded (used only where exactly that text needs a vector again).
   */
  known?: { model?: EmbeddingModel; framework?: Framework; embedded?: EmbeddedText };
}

export const defaultEmbedder: Embedder = new HashEmbedder();
export const defaultExtractor: CandidateExtractor = new RulesExtractor();

/** The embedder the user chose in settings; API keys come from the caller, never the database. */
export async function resolveEmbedder(door: UserDoor, userId: string, secrets: { apiKey?: string } = {}): Promise<Embedder> {
  const config = await door.withUser(userId, (c) => readEmbeddingConfig(c));
  return config.kind === 'builtin' ? defaultEmbedder : embedderFromConfig(config, secrets);
}

/** Registers the embedder's model (and its HNSW index) in the user's database. */
export async function modelFor(door: UserDoor, userId: string, embedder: Embedder): Promise<EmbeddingModel> {
  // Fast path without locks: the model is known and its index exists (or is not wanted).
  const known = await door.withUser(userId, (c) =>
    c.query<EmbeddingModel & { ready: boolean }>(
      "SELECT idx, id, dimensions, (dimensions > 4000 /* no HNSW past halfvec's limit: see createModelIndex */ OR to_regclass('memory_embeddings_hnsw_' || idx) IS NOT NULL) AS ready FROM embedding_models WHERE id = $1",
      [embedder.id],
    ),
  );
  const row = known.rows[0];
  if (row?.ready && (embedder.dimensions === 0 || embedder.dimensions === row.dimensions)) return { idx: row.idx, id: row.id, dimensions: row.dimensions };
  const dims = await embedderDimensions(embedder);
  if (row && row.dimensions !== dims) throw embedderSizeChanged(row, dims);
  return door.withUserTransaction(userId, (c) => ensureModel(c, embedder.id, dims));
}
