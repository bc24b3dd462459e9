import type { ChatRequest, LanguageModel } from './types.js';

/**
 * An in-process model that answers at once, for measuring everything in a turn except the
 * language model (emily bench turn) and for tests of the pipeline.
 */
export class InstantModel implements LanguageModel {
  readonly id = 'instant';
  readonly contextTokens = 8192;
  readonly followsInstructions = false;

  async *stream(req: ChatRequest): AsyncIterable<string> {
    const last = [...req.messages].reverse().find((m) => m.role === 'user');
    const words = `I hear you: ${(last?.content ?? '').slice(0, 200)}`.split(/(\s+)/);
    for (const w of words) yield w;
  }

  async test(): Promise<{ ok: true; detail: string }> {
    return { ok: true, detail: 'instant in-process model' };
  }
}
