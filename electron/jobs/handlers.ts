import { resolveEmbedder, type UserDoor } from '../cognition/context.js';
import { consolidateBacklog } from '../cognition/consolidation.js';
import { reembedMissing } from '../cognition/embeddingSwitch.js';
import { selfCorrect } from '../cognition/selfCorrection.js';
import type { Embedder } from '../embeddings/types.js';
import type { JobHandler } from './runner.js';

export interface HandlerDeps {
  /** The user's embedder (with its secret, if any); the one chosen in settings by default. */
  embedderFor?: (door: UserDoor, userId: string) => Promise<Embedder>;
}

/** The cognition jobs: re-embedding, consolidation, self-correction. */
export function cognitionHandlers(deps: HandlerDeps = {}): Record<string, JobHandler> {
  const embedderFor = deps.embedderFor ?? ((door, userId) => resolveEmbedder(door, userId));
  return {
    reembed: async (ctx) => {
      const embedder = await embedderFor(ctx.door, ctx.userId);
      // {current: true} (queued by a migration, which cannot know the model): whichever model is in use.
      if (ctx.job.payload.current !== true && embedder.id !== ctx.job.payload.model) return { skipped: `the current model is "${embedder.id}", not "${String(ctx.job.payload.model)}"` };
      return reembedMissing(ctx.door, ctx.userId, embedder, (p, d) => ctx.progress(p, d));
    },
    consolidate: async (ctx) => {
      const embedder = await embedderFor(ctx.door, ctx.userId);
      return consolidateBacklog(ctx.door, ctx.userId, { embedder, onBatch: (n) => ctx.progress(0.5, { turns: n }) });
    },
    'self-correct': async (ctx) => {
      const embedder = await embedderFor(ctx.door, ctx.userId);
      const reason = typeof ctx.job.payload.reason === 'string' ? ctx.job.payload.reason : 'requested';
      const r = await selfCorrect(ctx.door, ctx.userId, reason, { embedder, progress: (p, step) => ctx.progress(p, { step }) });
      return { selfCorrection: r.id, driftBefore: r.before.drift, driftAfter: r.after.drift, steps: r.steps };
    },
  };
}
