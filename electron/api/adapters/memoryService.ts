import {
  archiveMemory,
  deleteMemory,
  driftReport,
  editMemory,
  getMemory,
  listMemories,
  listSelfCorrections,
  pinMemory,
  recall,
  tierBalance,
  embedderFromConfig,
  setEmbeddingModel,
  type EmbeddingConfig,
  type MemoryDetail as EngineDetail,
  type MemorySummary,
  type TurnSummary,
} from '../../cognition/index.js';
import { withHeldDoor } from '../../cognition/heldDoor.js';
import type { Emily } from '../../core/emily.js';
import { describeJob, listJobs } from '../../jobs/index.js';
import type { DriftView, JobView, MemoryDetail, MemoryPage, MemoryRow, TierBalance, UsedMemory } from '../contract/views.js';
import { unkeyedEmbedderFor, type EmbedderFor } from './embedderFor.js';
import type { MemoryService, ResolvedEmbedding } from '../services.js';
import { toDriftView, toMemoryDetail, toMemoryRow, toTurnRow, toUsedMemory } from './views.js';

/** The Settings screen's embedding choice in the memory engine's terms. */
function embeddingConfig(e: ResolvedEmbedding): EmbeddingConfig {
  if (e.provider === 'openai-compatible') return { kind: 'openai', baseUrl: e.baseUrl, model: e.model };
  if (e.provider === 'local-gguf') return { kind: 'gguf', modelPath: e.model };
  return { kind: 'builtin' };
}

/** The memory browser over the memory engine (electron/cognition). */
export function memoryService(emily: Emily, embedderFor: EmbedderFor = unkeyedEmbedderFor(emily)): MemoryService {
  const detail = async (userId: string, d: EngineDetail): Promise<MemoryDetail> => {
    const ids = d.provenance.map((p) => p.turnId);
    const texts = ids.length
      ? new Map((await emily.withUser(userId, (c) => c.query<{ id: string; content: string }>('SELECT id, left(content, 2000) AS content FROM turns WHERE id = ANY($1::bigint[])', [ids]))).rows.map((r) => [Number(r.id), r.content]))
      : new Map<number, string>();
    return toMemoryDetail(d, texts);
  };
  return {
    async list(userId, req): Promise<MemoryPage> {
      const base = { q: req.query || undefined, offset: req.offset, limit: req.limit };
      if (req.tier === 'L4') {
        const r = await listMemories(emily, userId, { ...base, tier: 'L4' });
        return { total: r.total, offset: req.offset, items: (r.items as TurnSummary[]).map(toTurnRow) };
      }
      // One kind filters in the engine; several are filtered here (the UI offers one at a time).
      const kind = req.kinds.length === 1 ? req.kinds[0] : undefined;
      const r = await listMemories(emily, userId, { ...base, tier: 'L3', kind, pinned: req.pinnedOnly || undefined, archived: req.includeArchived ? 'all' : false });
      let items = (r.items as MemorySummary[]).map(toMemoryRow);
      if (req.kinds.length > 1) items = items.filter((m) => m.kind && (req.kinds as string[]).includes(m.kind));
      return { total: r.total, offset: req.offset, items };
    },
    get: async (userId, id) => detail(userId, await getMemory(emily, userId, id)),
    edit: async (userId, id, text) => detail(userId, await editMemory(emily, userId, id, text, { embedder: await embedderFor(userId) })),
    setPinned: async (userId, id, pinned): Promise<MemoryRow> => toMemoryRow(await pinMemory(emily, userId, id, pinned)),
    setArchived: async (userId, id, archived): Promise<MemoryRow> => toMemoryRow(await archiveMemory(emily, userId, id, archived)),
    remove: async (userId, id) => {
      await deleteMemory(emily, userId, id);
    },
    async balance(userId): Promise<TierBalance> {
      const b = await tierBalance(emily, userId);
      const empty = b.l3 + b.l4 === 0;
      return { l3: b.l3, l4: b.l4, l3Share: empty ? null : b.l3Share, band: { low: b.band.low, high: b.band.high }, side: b.state };
    },
    async drift(userId): Promise<DriftView> {
      return toDriftView(await driftReport(emily, userId), await listSelfCorrections(emily, userId, 10));
    },
    async jobs(userId, activeOnly): Promise<JobView[]> {
      const jobs = await emily.withUser(userId, (c) => listJobs(c, { active: activeOnly, limit: 20 }));
      return jobs.map((j) => ({ id: String(j.id), kind: j.kind, status: j.status, progress: j.progress, message: describeJob(j), createdAt: j.createdAt, updatedAt: j.updatedAt }));
    },
    async recall(userId, query, k): Promise<UsedMemory[]> {
      // One held connection for the settings, model and retrieval reads.
      const r = await withHeldDoor(emily, userId, async (door) => recall(door, userId, query, { k, embedder: await embedderFor(userId, door), memoriesOnly: true }));
      return r.results.map(toUsedMemory);
    },
    async applyEmbedding(userId, embedding) {
      const config = embeddingConfig(embedding);
      await setEmbeddingModel(emily, userId, config, embedderFromConfig(config, { apiKey: embedding.apiKey ?? undefined }));
    },
    async testEmbedding(embedding) {
      const started = performance.now();
      try {
        const embedder = embedderFromConfig(embeddingConfig(embedding), { apiKey: embedding.apiKey ?? undefined });
        const [v] = await embedder.embed(['Emily checks the connection']);
        return { ok: true, message: `${embedder.id}: ${v?.length ?? 0} dimensions`, latencyMs: Math.round(performance.now() - started) };
      } catch (e) {
        return { ok: false, message: (e as Error).message, latencyMs: null };
      }
    },
  };
}
