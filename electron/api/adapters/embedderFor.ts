import { resolveEmbedder, type UserDoor } from '../../cognition/index.js';
import type { Emily } from '../../core/emily.js';
import type { Embedder } from '../../embeddings/types.js';
import type { SecretStore } from '../../secrets/secretStore.js';
import { SECRET_EMBEDDING_KEY } from '../settingsStore.js';

/** The embedder a profile chose, ready to call: settings from its database, key from the key store. */
export type EmbedderFor = (userId: string, door?: UserDoor) => Promise<Embedder>;

/** Without a key store (tests, benchmarks): the profile's embedder, keyless. Uses the caller's door, so a held connection is reused. */
export function unkeyedEmbedderFor(emily: Emily): EmbedderFor {
  return async (userId, door = emily) => resolveEmbedder(door, userId);
}

export function keyedEmbedderFor(emily: Emily, secrets: SecretStore): EmbedderFor {
  return async (userId, door = emily) => resolveEmbedder(door, userId, { apiKey: (await secrets.get(`${userId}/${SECRET_EMBEDDING_KEY}`)) ?? undefined });
}
