import { z } from 'zod';
import { method } from './define.js';
import { empty, operationId, rowId } from './shared.js';
import { MAX_MESSAGE_CHARS, type ChatReadiness, type ConversationDetail, type ConversationView, type SendResult } from './views.js';

export { MAX_MESSAGE_CHARS };

export const chatContract = {
  'chat.readiness': method<ChatReadiness>()(empty),
  'chat.conversations': method<ConversationView[]>()(empty),
  'chat.open': method<ConversationDetail>()(z.object({ conversationId: rowId }).strict()),
  'chat.rename': method<ConversationView>()(z.object({ conversationId: rowId, title: z.string().trim().min(1).max(200) }).strict()),
  'chat.delete': method<{ id: string }>()(z.object({ conversationId: rowId, forgetMemories: z.boolean().default(false) }).strict()),
  /** Streams `chat.token` events tagged with operationId; answers when the reply is stored. */
  'chat.send': method<SendResult>()(
    z
      .object({
        operationId,
        conversationId: rowId.nullable(),
        text: z.string().trim().min(1, 'type a message first').max(MAX_MESSAGE_CHARS, `a message has at most ${MAX_MESSAGE_CHARS.toLocaleString('en')} characters; split it or attach it as a file`),
      })
      .strict(),
  ),
  'chat.feedback': method<{ ok: true }>()(z.object({ messageId: rowId, verdict: z.enum(['helpful', 'wrong']), correction: z.string().max(4000).optional() }).strict()),
};
