import { ChatEngine } from '../chat/chatEngine.js';
import { defaultEmbedder } from '../cognition/index.js';
import { InstantModel } from '../providers/llm/instant.js';
import { createUser } from '../operations/users.js';
import { loadSynthetic } from './retrievalLoad.js';
import { progress, withScratchEmily } from './scratch.js';
import { percentile } from './stats.js';

export interface TurnBenchResult {
  turns: number;
  l3: number;
  l4: number;
  overhead_p50_ms: number;
  overhead_p95_ms: number;
  recall_p95_ms: number;
  learn_p95_ms: number;
  model: string;
}

const MESSAGES = [
  'What do you remember about my sister?',
  'I started learning the cello last week, it is harder than I thought.',
  'Remind me what I said about the trip to Porto.',
  'My manager moved the deadline to Friday again.',
  'Do you know which tea I like in the evening?',
  'I think I prefer running in the morning now.',
  'Actually, my sister lives in Lisbon, not Porto.',
  'What should I cook tonight, given what you know about me?',
];

/**
 * Everything in a chat turn except the language model, on a well-used Emily: store,
 * recall, context, learn. The model is the instant in-process one, whose own time is
 * subtracted anyway.
 */
export async function benchTurn(opts: { turns?: number; l3?: number; l4?: number } = {}): Promise<TurnBenchResult> {
  const n = opts.turns ?? 200;
  const size = { l3: opts.l3 ?? 16_000, l4: opts.l4 ?? 25_000 };
  return withScratchEmily({}, async (emily) => {
    const user = await createUser(emily, 'turn bench');
    await emily.withUser(user.id, (c) => loadSynthetic(c, defaultEmbedder, size, progress));
    const engine = new ChatEngine(emily);
    const model = new InstantModel();
    const warm = await engine.send(user.id, model, { text: 'Hello again, Emily.' });
    const overhead: number[] = [];
    const recallMs: number[] = [];
    const learnMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const out = await engine.send(user.id, model, { conversationId: warm.conversationId, text: MESSAGES[i % MESSAGES.length]! });
      overhead.push(out.timings.overhead_ms);
      recallMs.push(out.timings.recall_ms);
      learnMs.push(out.timings.learn_ms);
      if (i % 50 === 49) progress(`turn ${i + 1}/${n}`);
    }
    return {
      turns: n,
      ...size,
      overhead_p50_ms: percentile(overhead, 50),
      overhead_p95_ms: percentile(overhead, 95),
      recall_p95_ms: percentile(recallMs, 95),
      learn_p95_ms: percentile(learnMs, 95),
      model: model.id,
    };
  });
}
