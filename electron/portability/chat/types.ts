/** A conversation read from someone else's chat history, before it becomes L4. */
export interface ChatTurn {
  role: 'user' | 'assistant' | 'system';
  text: string;
  time?: Date;
  /** The message's id at its source (kept so a memory can point back to it). */
  sourceId: string;
  meta?: Record<string, unknown>;
}

export interface ChatConversation {
  sourceId: string;
  title: string;
  createdAt?: Date;
  turns: ChatTurn[];
}

/** Something in the input that was skipped, and where (line or conversation). */
export interface ChatProblem {
  where: string;
  message: string;
}

export interface ParsedHistory {
  source: 'chatgpt' | 'transcript';
  conversations: ChatConversation[];
  problems: ChatProblem[];
}

/** Longest turn text we store; longer messages are cut here and marked in meta. */
export const MAX_TURN_CHARS = 200_000;

export function clip(text: string): { text: string; cut: boolean } {
  return text.length > MAX_TURN_CHARS ? { text: text.slice(0, MAX_TURN_CHARS), cut: true } : { text, cut: false };
}
