import type pg from 'pg';
import { z } from 'zod';

/**
 * Weights and thresholds as data (table `frameworks`, the active row named "emily").
 * Missing keys fall back to v1's values, so an older framework row keeps working.
 */
const Params = z.object({
  ecgl: z.object({ epsilon: z.number(), outcome: z.number(), novelty: z.number(), stability: z.number() }).default({ epsilon: 0.35, outcome: 0.35, novelty: 0.2, stability: 0.1 }),
  weights: z
    .object({ similarity: z.number(), text: z.number(), ecgl: z.number(), recency: z.number(), activation: z.number() })
    .default({ similarity: 0.45, text: 0.2, ecgl: 0.15, recency: 0.1, activation: 0.1 }),
  promote: z.object({ confidence: z.number(), gibberish: z.number() }).default({ confidence: 0.7, gibberish: 0.5 }),
  duplicate: z.number().default(0.92),
  linkFloor: z.number().default(0.35),
  strongEdge: z.number().default(0.5),
  maxLinks: z.number().int().default(5),
  recencyHalfLifeDays: z.number().default(30),
  earl: z
    .object({ window: z.number().int(), alphaOutcome: z.number(), alphaEpsilon: z.number(), redirectSimilarity: z.number() })
    .default({ window: 5, alphaOutcome: 0.2, alphaEpsilon: 0.1, redirectSimilarity: 0.05 }),
  drift: z.object({ warning: z.number(), critical: z.number() }).default({ warning: 0.1, critical: 0.2 }),
  balance: z.object({ target: z.number(), low: z.number(), high: z.number() }).default({ target: 0.3, low: 0.2, high: 0.4 }),
  retrieval: z
    .object({ k: z.number().int(), vectorCandidates: z.number().int(), textCandidates: z.number().int(), turnCandidates: z.number().int(), efSearch: z.number().int() })
    .default({ k: 8, vectorCandidates: 40, textCandidates: 20, turnCandidates: 10, efSearch: 200 }),
});

export type FrameworkParams = z.infer<typeof Params>;
export interface Framework {
  name: string;
  version: number;
  params: FrameworkParams;
}

export const DEFAULT_FRAMEWORK: Framework = { name: 'emily', version: 1, params: Params.parse({}) };

export async function loadFramework(client: pg.ClientBase): Promise<Framework> {
  const r = await client.query<{ name: string; version: number; params: unknown }>("SELECT name, version, params FROM frameworks WHERE name = 'emily' AND active");
  const row = r.rows[0];
  if (!row) return DEFAULT_FRAMEWORK;
  const parsed = Params.safeParse(row.params);
  return parsed.success ? { name: row.name, version: row.version, params: parsed.data } : DEFAULT_FRAMEWORK;
}

const DAY_MS = 86_400_000;

/** Recency at read time: halves every recencyHalfLifeDays since the last use (or creation). */
export function recencyOf(p: FrameworkParams, lastUsedOrCreated: Date | number, now = Date.now()): number {
  const at = typeof lastUsedOrCreated === 'number' ? lastUsedOrCreated : lastUsedOrCreated.getTime();
  return 0.5 ** (Math.max(0, now - at) / (p.recencyHalfLifeDays * DAY_MS));
}

/** ECGL score [published weights]. */
export function ecgl(p: FrameworkParams, m: { epsilon: number; outcome: number; novelty: number; stability: number }): number {
  return p.ecgl.epsilon * m.epsilon + p.ecgl.outcome * m.outcome + p.ecgl.novelty * m.novelty + p.ecgl.stability * m.stability;
}
