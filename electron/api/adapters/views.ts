import type { DriftReport, MemoryDetail as EngineDetail, MemorySummary, RecallResult, TurnSummary } from '../../cognition/index.js';
import type { ChatMessage, DriftView, MemoryDetail, MemoryKind, MemoryRow, MemorySource, Metrics, UsedMemory } from '../contract/views.js';

/** Maps the engine's shapes to the API's (ids as strings, dates as ISO strings). */
export function toMemoryRow(m: MemorySummary): MemoryRow {
  return {
    id: String(m.id),
    tier: 'L3',
    text: m.content,
    kind: m.kind as MemoryKind,
    source: m.source,
    pinned: m.pinned,
    archived: m.archived,
    createdAt: m.createdAt,
    lastUsedAt: m.lastUsedAt,
    useCount: m.useCount,
    score: m.ecgl,
  };
}

export function toTurnRow(t: TurnSummary): MemoryRow {
  return { id: String(t.id), tier: 'L4', text: t.content, kind: null, source: t.source, pinned: false, archived: false, createdAt: t.createdAt, lastUsedAt: null, useCount: 0, score: null };
}

export function toMemoryDetail(d: EngineDetail, turnTexts: Map<number, string>): MemoryDetail {
  return {
    memory: { ...toMemoryRow(d), kind: d.kind as MemoryKind, source: d.source as MemorySource },
    metrics: { ...d.metrics } as Metrics,
    ecgl: d.ecgl,
    outcomes: d.outcomes.map((o) => ({ id: String(o.id), signal: o.signal as MemoryDetail['outcomes'][number]['signal'], value: o.value, createdAt: o.createdAt })),
    edges: d.edges.map((e) => ({ otherId: String(e.other.id), otherText: e.other.content, direction: e.direction, kind: e.kind, weight: e.weight })),
    provenance: d.provenance.map((p) => ({
      turnId: String(p.turnId),
      conversationId: String(p.conversationId),
      role: p.role as 'user' | 'assistant' | 'system',
      text: turnTexts.get(p.turnId) ?? '',
      source: p.source,
      sourceId: p.sourceId,
      createdAt: p.createdAt,
    })),
  };
}

export function toUsedMemory(r: RecallResult): UsedMemory {
  return {
    id: String(r.id),
    text: r.content,
    kind: (r.kind ?? 'fact') as MemoryKind,
    score: { similarity: r.components.similarity, textMatch: r.components.text, ecgl: r.components.ecgl, recency: r.components.recency, activation: r.components.activation, total: r.score },
  };
}

export function toDriftView(r: DriftReport, corrections: { id: number; reason: string; before: unknown; after: unknown; startedAt: string; finishedAt: string | null }[]): DriftView {
  const means = (x: unknown): Record<string, number> => {
    const cur = (x as { current?: Record<string, number> } | null)?.current;
    return cur ?? {};
  };
  return {
    drift: r.drift,
    level: r.level,
    thresholds: r.thresholds,
    baselineAt: r.baseline?.createdAt ?? null,
    baseline: r.baseline?.means ?? {},
    current: r.current,
    corrections: corrections.map((c) => ({ id: String(c.id), reason: c.reason, startedAt: c.startedAt, finishedAt: c.finishedAt, before: means(c.before), after: c.after ? means(c.after) : null })),
  };
}

export interface StoredTurn {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  cut: boolean;
  meta: Record<string, unknown>;
  created_at: Date;
}

export function toChatMessage(t: StoredTurn, uses: UsedMemory[], feedback: 'helpful' | 'wrong' | null): ChatMessage {
  const mode = t.meta.mode === 'memory' ? 'memory' : t.role === 'assistant' ? 'model' : null;
  const reason = t.meta.reason === 'no-model' ? 'no-model' : t.meta.reason === 'model-failed' ? 'model-failed' : mode === 'memory' ? 'unreachable' : null;
  const error = t.meta.error as { message?: unknown } | undefined;
  return {
    id: String(t.id),
    role: t.role === 'assistant' ? 'assistant' : 'user',
    text: t.content,
    createdAt: t.created_at.toISOString(),
    cut: t.cut,
    answeredBy: mode,
    memoryReason: reason,
    modelError: typeof error?.message === 'string' ? error.message : null,
    uses,
    feedback,
  };
}
