import type { RecallResult } from '../cognition/index.js';
import type { ChatMessage } from '../providers/llm/types.js';
import type { Identity } from './identity.js';

/** A rough, model-independent token estimate (~4 characters per token, rounded up). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

export interface ContextInput {
  identity: Identity;
  memories: RecallResult[];
  /** Earlier turns of this conversation, oldest first (the user's new message excluded). */
  history: { role: 'user' | 'assistant'; content: string }[];
  userText: string;
  /** The model's context window; a quarter is kept free for the reply. */
  contextTokens: number;
}

export interface ContextPackage {
  messages: ChatMessage[];
  /** Which parts made it into the budget. */
  included: { memories: number; history: number; userTextTruncated: boolean };
  tokens: number;
}

/**
 * Assembles what the model sees, within its context budget: identity first (it must always
 * fit), then the recalled memories by rank, then as much recent history as fits, newest
 * first. A message too long for the window is cut from the middle, and the model is told so.
 */
export function buildContext(input: ContextInput): ContextPackage {
  const budget = Math.max(256, Math.floor(input.contextTokens * 0.75));
  const { identity } = input;
  const system = [
    `You are ${identity.name}. ${identity.persona}`.trim(),
    identity.values.length ? `You value ${identity.values.join(', ')}.` : '',
    'You remember the user across conversations. Use the memories below when they help; never invent memories. If a memory seems wrong, say so and ask.',
  ]
    .filter(Boolean)
    .join('\n');
  let used = estimateTokens(system);

  let userText = input.userText;
  let userTextTruncated = false;
  const userBudget = Math.floor(budget * 0.5);
  if (estimateTokens(userText) > userBudget) {
    const keep = Math.max(200, userBudget * 4 - 200);
    userText = `${userText.slice(0, keep / 2)}\n[… ${userText.length - keep} characters left out to fit the model's context …]\n${userText.slice(-keep / 2)}`;
    userTextTruncated = true;
  }
  used += estimateTokens(userText);

  const memoryLines: string[] = [];
  for (const m of input.memories) {
    const line = `- ${m.tier === 'L3' ? `(${m.kind ?? 'memory'})` : '(earlier message)'} ${m.content.slice(0, 1000)}`;
    if (used + estimateTokens(line) > budget * 0.85) break;
    memoryLines.push(line);
    used += estimateTokens(line);
  }

  const history: ChatMessage[] = [];
  for (const turn of [...input.history].reverse()) {
    const t = estimateTokens(turn.content);
    if (used + t > budget) break;
    history.unshift({ role: turn.role, content: turn.content });
    used += t;
  }

  const systemText = memoryLines.length ? `${system}\n\nWhat you remember that may be relevant:\n${memoryLines.join('\n')}` : system;
  return {
    messages: [{ role: 'system', content: systemText }, ...history, { role: 'user', content: userText }],
    included: { memories: memoryLines.length, history: history.length, userTextTruncated },
    tokens: used,
  };
}
