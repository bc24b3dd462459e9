import { EmilyError, toEmilyError } from '../core/errors.js';
import type { CognitionOptions, UserDoor } from './context.js';
import { loadFramework } from './framework.js';
import { learnFromExchange, type LearnResult } from './learning.js';
import { applyFeedback, type Feedback } from './outcomes.js';
import { cleanText, MAX_MEMORY_CHARS, positiveId } from './text.js';

export type FeedbackInput = Feedback | { correction: string };

export interface FeedbackResult {
  turnId: number;
  signal: Feedback;
  /** Memories whose outcome history got the explicit event. */
  memoryIds: number[];
  /** For a correction: what the learning cycle did with the corrected statement. */
  correction?: LearnResult;
}

/**
 * Explicit feedback on one of Emily's replies (the UI's helpful / wrong buttons). It
 * overrides the classifier for the memories that reply used. A correction counts as
 * "wrong" and its text is learnt as a user-stated correction (supersedes edges).
 */
export async function giveFeedback(door: UserDoor, userId: string, turnId: unknown, feedback: FeedbackInput, opts: CognitionOptions = {}): Promise<FeedbackResult> {
  const id = positiveId(turnId, 'turnId');
  let correctionText: string | undefined;
  let signal: Feedback;
  if (feedback === 'helpful' || feedback === 'wrong') signal = feedback;
  else if (feedback && typeof feedback === 'object' && 'correction' in feedback) {
    correctionText = cleanText(feedback.correction, 'the correction', MAX_MEMORY_CHARS);
    signal = 'wrong';
  } else throw new EmilyError('BAD_INPUT', 'feedback must be "helpful", "wrong" or { correction: "…" }');
  let conversationId = 0;
  let memoryIds: number[];
  try {
    memoryIds = await door.withUserTransaction(userId, async (client) => {
      const params = (await loadFramework(client)).params;
      const r = await applyFeedback(client, id, signal, params);
      const c = await client.query<{ conversation_id: string }>('SELECT conversation_id FROM turns WHERE id = $1', [id]);
      conversationId = Number(c.rows[0]!.conversation_id);
      return r.memoryIds;
    });
  } catch (e) {
    throw toEmilyError(e, 'could not record the feedback');
  }
  const result: FeedbackResult = { turnId: id, signal, memoryIds };
  if (correctionText) {
    const text = /^(actually|no|correction)\b/i.test(correctionText) ? correctionText : `Actually, ${correctionText}`;
    // The correction is about the reply given feedback on, which may not be the latest one.
    result.correction = await learnFromExchange(door, userId, { conversationId, userText: text, source: 'feedback', notAFollowUp: true }, opts);
  }
  return result;
}
