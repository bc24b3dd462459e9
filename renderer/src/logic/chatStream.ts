import type { ApiEvents, ChatMessage, SendResult, UsedMemory } from '../../../electron/api/contract/index.js';

/** The chat pane's state: stored messages plus the reply being streamed. */
export interface ChatState {
  messages: ChatMessage[];
  pending: null | {
    operationId: string;
    userText: string;
    replyText: string;
    uses: UsedMemory[];
    status: Omit<ApiEvents['chat.status'], 'operationId'> | null;
    cancelling: boolean;
  };
  error: string | null;
  /** What the user typed when a send failed: given back to the composer. */
  restoreDraft: string | null;
}

export type ChatAction =
  | { type: 'loaded'; messages: ChatMessage[] }
  | { type: 'send'; operationId: string; text: string }
  | { type: 'event'; name: 'chat.token'; payload: ApiEvents['chat.token'] }
  | { type: 'event'; name: 'chat.memories'; payload: ApiEvents['chat.memories'] }
  | { type: 'event'; name: 'chat.status'; payload: ApiEvents['chat.status'] }
  | { type: 'cancelling' }
  | { type: 'done'; result: SendResult }
  | { type: 'failed'; message: string }
  | { type: 'feedback'; messageId: string; verdict: 'helpful' | 'wrong' }
  | { type: 'draftRestored' };

export const initialChat: ChatState = { messages: [], pending: null, error: null, restoreDraft: null };

export function chatReducer(s: ChatState, a: ChatAction): ChatState {
  switch (a.type) {
    case 'loaded':
      return { ...initialChat, messages: a.messages };
    case 'send':
      return { ...s, error: null, restoreDraft: null, pending: { operationId: a.operationId, userText: a.text, replyText: '', uses: [], status: null, cancelling: false } };
    case 'event': {
      // Events of another operation (another window, an older send) are not ours.
      if (!s.pending || a.payload.operationId !== s.pending.operationId) return s;
      if (a.name === 'chat.token') return { ...s, pending: { ...s.pending, replyText: s.pending.replyText + a.payload.text } };
      if (a.name === 'chat.memories') return { ...s, pending: { ...s.pending, uses: a.payload.uses } };
      const { operationId: _op, ...status } = a.payload;
      return { ...s, pending: { ...s.pending, status } };
    }
    case 'cancelling':
      return s.pending ? { ...s, pending: { ...s.pending, cancelling: true } } : s;
    case 'done':
      // Stopped before any reply: the message was kept, and there is nothing to answer it yet.
      return { ...s, pending: null, messages: [...s.messages, a.result.user, ...(a.result.reply ? [a.result.reply] : [])] };
    case 'failed':
      return { ...s, error: a.message, restoreDraft: s.pending?.userText ?? null, pending: null };
    case 'feedback':
      return { ...s, messages: s.messages.map((m) => (m.id === a.messageId ? { ...m, feedback: a.verdict } : m)) };
    case 'draftRestored':
      return { ...s, restoreDraft: null };
  }
}
