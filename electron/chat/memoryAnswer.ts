import type { RecallResult } from '../cognition/index.js';

export type MemoryAnswerReason = 'no-model' | 'model-unreachable' | 'model-failed';

const OPENINGS: Record<MemoryAnswerReason, string> = {
  'no-model': 'No language model is set up, so I am answering from memory.',
  'model-unreachable': 'I cannot reach my language model right now, so I am answering from memory.',
  'model-failed': 'My language model failed, so I am answering from memory.',
};

/**
 * Emily's reply without a language model: what she recalls about the message, plainly
 * labelled as such. The turn is still stored and learned from.
 */
export function answerFromMemory(memories: RecallResult[], reason: MemoryAnswerReason): string {
  const facts = memories.filter((m) => m.tier === 'L3').slice(0, 5);
  // Only the user's own words are quoted back; Emily's earlier replies are not memories.
  const turns = memories.filter((m) => m.tier === 'L4' && m.provenance[0]?.role === 'user').slice(0, 2);
  if (!facts.length && !turns.length) return `${OPENINGS[reason]} I don't recall anything about that yet — tell me more and I will remember it.`;
  const lines = [`${OPENINGS[reason]} Here is what I recall about that:`];
  for (const m of facts) lines.push(`• ${m.content}`);
  for (const t of turns) lines.push(`• You once said: “${t.content.slice(0, 200)}${t.content.length > 200 ? '…' : ''}”`);
  return lines.join('\n');
}
