import { consolidateBacklog, resolveEmbedder, type UserDoor } from '../cognition/index.js';

/**
 * The learn hook for chat-history imports: distils the imported L4 turns (the memory
 * engine's backlog) into L3 memories with the user's own embedder.
 */
export function learnImported(door: UserDoor): (userId: string) => Promise<void> {
  return async (userId) => {
    const embedder = await resolveEmbedder(door, userId);
    await consolidateBacklog(door, userId, { embedder, batch: 200 });
  };
}
