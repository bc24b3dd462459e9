import type { Emily } from '../../../electron/core/emily.js';

/**
 * What a crash must never leave visible in a user's database, whatever instant it hit:
 * every list is empty when the database is consistent.
 */
export async function halfWritten(emily: Emily, userId: string): Promise<Record<string, unknown[]>> {
  return emily.withUser(userId, async (c) => {
    const ids = async (sql: string) => (await c.query<{ id: string }>(sql)).rows.map((r) => Number(r.id));
    return {
      // A reply always follows its user turn (written in the same conversation, before it).
      repliesWithoutUserTurn: await ids(`
        SELECT a.id FROM turns a
         WHERE a.role = 'assistant'
           AND (SELECT p.role FROM turns p WHERE p.conversation_id = a.conversation_id AND p.id < a.id ORDER BY p.id DESC LIMIT 1) IS DISTINCT FROM 'user'`),
      // Learning marks the turns it learned from; a reply from an unfinished learning cycle would not be marked.
      unconsolidatedReplies: await ids(`SELECT id FROM turns WHERE role = 'assistant' AND NOT consolidated`),
      repliedButUnconsolidatedUserTurns: await ids(`
        SELECT u.id FROM turns u
         WHERE u.role = 'user' AND NOT u.consolidated
           AND EXISTS (SELECT 1 FROM turns a WHERE a.conversation_id = u.conversation_id AND a.role = 'assistant' AND a.id > u.id
                        AND NOT EXISTS (SELECT 1 FROM turns m WHERE m.conversation_id = u.conversation_id AND m.id > u.id AND m.id < a.id))`),
      memoriesWithoutProvenance: await ids(`SELECT m.id FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_sources s WHERE s.memory_id = m.id)`),
      memoriesWithoutEmbedding: await ids(`SELECT m.id FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_embeddings e WHERE e.memory_id = m.id)`),
      // Provenance points only at turns whose learning cycle committed.
      sourcesFromUnlearnedTurns: await ids(`SELECT s.memory_id AS id FROM memory_sources s JOIN turns t ON t.id = s.turn_id WHERE NOT t.consolidated`),
      usesOfMissingReplies: await ids(`SELECT u.id FROM memory_uses u WHERE u.turn_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM turns t WHERE t.id = u.turn_id AND t.role = 'assistant')`),
    };
  });
}

export const CONSISTENT = {
  repliesWithoutUserTurn: [],
  unconsolidatedReplies: [],
  repliedButUnconsolidatedUserTurns: [],
  memoriesWithoutProvenance: [],
  memoriesWithoutEmbedding: [],
  sourcesFromUnlearnedTurns: [],
  usesOfMissingReplies: [],
};
