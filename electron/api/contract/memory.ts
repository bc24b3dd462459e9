import { z } from 'zod';
import { method } from './define.js';
import { empty, rowId } from './shared.js';
import { MAX_MEMORY_TEXT, MEMORY_KINDS, type DriftView, type JobView, type MemoryDetail, type MemoryPage, type MemoryRow, type TierBalance, type UsedMemory } from './views.js';

export const memoryListRequest = z
  .object({
    query: z.string().max(1000).default(''),
    tier: z.enum(['L3', 'L4', 'all']).default('L3'),
    kinds: z.array(z.enum(MEMORY_KINDS)).max(MEMORY_KINDS.length).default([]),
    includeArchived: z.boolean().default(false),
    pinnedOnly: z.boolean().default(false),
    offset: z.number().int().min(0).max(10_000_000).default(0),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict();
export type MemoryListRequest = z.output<typeof memoryListRequest>;

export const memoryContract = {
  'memory.list': method<MemoryPage>()(memoryListRequest),
  'memory.get': method<MemoryDetail>()(z.object({ id: rowId }).strict()),
  /** Re-embeds; the old text stays as a superseded memory. */
  'memory.edit': method<MemoryDetail>()(z.object({ id: rowId, text: z.string().trim().min(1, 'a memory cannot be empty').max(MAX_MEMORY_TEXT, `a memory has at most ${MAX_MEMORY_TEXT.toLocaleString('en')} characters`) }).strict()),
  'memory.pin': method<MemoryRow>()(z.object({ id: rowId, pinned: z.boolean() }).strict()),
  'memory.archive': method<MemoryRow>()(z.object({ id: rowId, archived: z.boolean() }).strict()),
  'memory.delete': method<{ id: string }>()(z.object({ id: rowId }).strict()),
  'memory.balance': method<TierBalance>()(empty),
  'memory.drift': method<DriftView>()(empty),
  /** The profile's background jobs, newest first, with their progress. */
  'memory.jobs': method<JobView[]>()(z.object({ activeOnly: z.boolean().default(false) }).strict()),
  'memory.recall': method<UsedMemory[]>()(z.object({ query: z.string().trim().min(1).max(10_000), k: z.number().int().min(1).max(50).default(8) }).strict()),
};
