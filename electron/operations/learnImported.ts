import { checkEmbeddings, consolidateBacklog, resolveEmbedder, type UserDoor } from '../cognition/index.js';
import type { Job } from '../jobs/index.js';

/**
 * The learn hook for chat-history imports: distils the imported L4 turns (the memory
 * engine's backlog) into L3 memories with the user's own embedder, then queues the imported
 * turns' vectors as a background job (full text finds them meanwhile).
 */
export function learnImported(door: UserDoor): (userId: string) => Promise<void> {
  return async (userId) => {
    const embedder = await resolveEmbedder(door, userId);
    await consolidateBacklog(door, userId, { embedder, batch: 200 });
    await checkEmbeddings(door, userId, embedder);
  };
}

/**
 * After an imported or restored Emily goes live: her hosted vectors are kept, and the local
 * model's vectors are built by a background re-embedding job (retrieval works meanwhile).
 */
export async function queueLocalVectors(door: UserDoor, userId: string): Promise<Job | null> {
  return (await checkEmbeddings(door, userId, await resolveEmbedder(door, userId))).job;
}
