import type { UserDoor } from '../cognition/index.js';
import { EmilyError } from '../core/errors.js';
import { identityFrom, type Identity } from './identity.js';

export interface StoredUserTurn {
  conversationId: number;
  userTurnId: number;
  identity: Identity;
  /** The conversation before this turn, oldest first. */
  history: Array<{ role: 'user' | 'assistant'; content: string }>;
}

// Emily's identity, as one JSON value of the statement that stores the turn.
const IDENTITY = '(SELECT json_build_object(\'name\', name, \'persona\', persona, \'values\', values) FROM identity LIMIT 1)';

/**
 * Stores the user's message before anything else happens (it is never lost), and reads what
 * the reply needs: the conversation so far and Emily's identity. One statement, so one
 * round trip and its own transaction: this runs on every chat turn, often on a connection
 * just opened, where each statement costs a fresh parse and plan.
 */
export async function storeUserTurn(door: UserDoor, userId: string, a: { conversationId?: number; text: string; title: string; historyTurns: number }): Promise<StoredUserTurn> {
  type Row = { conversation_id: string | null; turn_id: string | null; history: StoredUserTurn['history'] | null; identity: Parameters<typeof identityFrom>[0] };
  const row = await door.withUser(userId, async (c) => {
    if (a.conversationId === undefined) {
      return (
        await c.query<Row>(
          `WITH conv AS (INSERT INTO conversations (title) VALUES ($1) RETURNING id),
                turn AS (INSERT INTO turns (conversation_id, role, content, source) SELECT id, 'user', $2, 'chat' FROM conv RETURNING id, conversation_id)
           SELECT turn.conversation_id, turn.id AS turn_id, NULL::json AS history, ${IDENTITY} AS identity FROM turn`,
          [a.title, a.text],
        )
      ).rows[0];
    }
    // The history is read from the statement's snapshot, so it does not include the new turn.
    return (
      await c.query<Row>(
        `WITH conv AS (UPDATE conversations SET updated_at = now() WHERE id = $1 RETURNING id),
              turn AS (INSERT INTO turns (conversation_id, role, content, source) SELECT id, 'user', $2, 'chat' FROM conv RETURNING id)
         SELECT (SELECT id FROM conv) AS conversation_id, (SELECT id FROM turn) AS turn_id,
                (SELECT json_agg(json_build_object('role', role, 'content', content) ORDER BY id)
                   FROM (SELECT id, role, content FROM turns WHERE conversation_id = $1 AND role <> 'system' ORDER BY id DESC LIMIT $3) t) AS history,
                ${IDENTITY} AS identity`,
        [a.conversationId, a.text, a.historyTurns],
      )
    ).rows[0];
  });
  if (!row?.turn_id || !row.conversation_id) throw new EmilyError('NOT_FOUND', `conversation ${a.conversationId} does not exist (it may have been deleted); start a new one`);
  return { conversationId: Number(row.conversation_id), userTurnId: Number(row.turn_id), identity: identityFrom(row.identity), history: row.history ?? [] };
}
