import type { DoctorReport } from '../../operations/doctorAll.js';

/** A pasted message may be long; past this it is refused with a clear message, not cut. */
export const MAX_MESSAGE_CHARS = 1_000_000;
/** A memory's text, as the memories table's CHECK allows (the API counts UTF-16 units, never more than characters). */
export const MAX_MEMORY_TEXT = 4000;

/** Shapes the API answers with (JSON-safe: dates as ISO strings, ids as strings). */

export interface ProfileView {
  id: string;
  name: string;
  createdAt: string;
  schemaVersion: number;
}

export interface ProfilesView {
  profiles: ProfileView[];
  currentId: string | null;
}

export type DomainName = 'memory' | 'chat' | 'portability';

export interface SystemInfo {
  version: string;
  mode: 'desktop' | 'browser' | 'server';
  platform: string;
  dataHome: string;
  pgdata: string;
  backups: string;
  /** Which optional domains this build serves; the UI says "not available" for the rest. */
  domains: Record<DomainName, boolean>;
}

export type HealthReport = DoctorReport;

export type ProviderKind = 'none' | 'openai-compatible' | 'anthropic' | 'local-gguf';
export type EmbedderKind = 'builtin' | 'openai-compatible' | 'local-gguf';

export interface LanguageModelSettings {
  provider: ProviderKind;
  model: string;
  baseUrl: string;
  temperature: number;
  /** Whether a key is stored (the key itself never leaves the secrets store). */
  apiKeySet: boolean;
}

export interface EmbeddingSettings {
  provider: EmbedderKind;
  model: string;
  baseUrl: string;
  apiKeySet: boolean;
}

export interface UserSettings {
  languageModel: LanguageModelSettings;
  embedding: EmbeddingSettings;
}

export interface ConnectionTest {
  ok: boolean;
  message: string;
  latencyMs: number | null;
}

export const METRIC_NAMES = [
  'epsilon', 'source_trust', 'gibberish', 'outcome', 'novelty', 'stability', 'integration',
  'confidence', 'coherence', 'recency', 'frequency', 'salience', 'valence', 'specificity',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Metrics = Record<MetricName, number>;

export const MEMORY_KINDS = ['fact', 'preference', 'episode', 'goal', 'reflection', 'outcome'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];
export type MemorySource = 'user-stated' | 'inferred' | 'imported' | 'system';
export type Tier = 'L3' | 'L4';

/** One row of the memory browser: an L3 memory or an L4 turn. */
export interface MemoryRow {
  id: string;
  tier: Tier;
  text: string;
  /** L3 only. */
  kind: MemoryKind | null;
  source: string;
  pinned: boolean;
  archived: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  useCount: number;
  /** ECGL score for L3 rows. */
  score: number | null;
}

export interface MemoryPage {
  total: number;
  offset: number;
  items: MemoryRow[];
}

export interface OutcomeEventView {
  id: string;
  signal: 'continue' | 'correct' | 'redirect' | 'helpful' | 'wrong';
  value: number;
  createdAt: string;
}

export interface MemoryEdgeView {
  otherId: string;
  otherText: string;
  direction: 'out' | 'in';
  kind: 'related' | 'supports' | 'contradicts' | 'supersedes';
  weight: number;
}

export interface ProvenanceTurn {
  turnId: string;
  conversationId: string;
  role: 'user' | 'assistant' | 'system';
  text: string;
  source: string;
  sourceId: string | null;
  createdAt: string;
}

export interface MemoryDetail {
  memory: MemoryRow & { kind: MemoryKind; source: MemorySource };
  metrics: Metrics;
  ecgl: number;
  outcomes: OutcomeEventView[];
  edges: MemoryEdgeView[];
  provenance: ProvenanceTurn[];
}

export interface TierBalance {
  l3: number;
  l4: number;
  /** l3 / (l3 + l4), null when both are empty. */
  l3Share: number | null;
  band: { low: number; high: number };
  side: 'empty' | 'under-integrating' | 'balanced' | 'over-remembering';
}

export const BASELINE_METRICS = ['integration', 'source_trust', 'confidence', 'epsilon', 'stability', 'outcome', 'coherence'] as const;
export type BaselineMetric = (typeof BASELINE_METRICS)[number];

/** A background job of the profile (re-embedding, consolidation, self-correction). */
export interface JobView {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  /** 0 to 1. */
  progress: number;
  /** What it does and how far it is, in words. */
  message: string;
  createdAt: string;
  updatedAt: string;
}

export interface DriftView {
  /** Mean relative deviation from the baseline; null without a baseline. */
  drift: number | null;
  level: 'no-baseline' | 'ok' | 'warning' | 'critical';
  thresholds: { warning: number; critical: number };
  baselineAt: string | null;
  baseline: Partial<Record<BaselineMetric, number>>;
  current: Partial<Record<BaselineMetric, number>>;
  corrections: { id: string; reason: string; startedAt: string; finishedAt: string | null; before: Record<string, number>; after: Record<string, number> | null }[];
}

/** Why a memory came up: every component of its retrieval score. */
export interface ScoreComponents {
  similarity: number;
  textMatch: number;
  ecgl: number;
  recency: number;
  activation: number;
  total: number;
}

export interface UsedMemory {
  id: string;
  text: string;
  kind: MemoryKind;
  score: ScoreComponents;
}

export interface ConversationView {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  createdAt: string;
  /** Reply cut short by cancel or a dropped stream. */
  cut: boolean;
  /** How the reply was made: a model, or from memory alone (and why). */
  answeredBy: 'model' | 'memory' | null;
  memoryReason: 'no-model' | 'unreachable' | 'model-failed' | null;
  /** What the model server said when it failed (a refused key, say), for the user to act on. */
  modelError: string | null;
  uses: UsedMemory[];
  feedback: 'helpful' | 'wrong' | null;
}

export interface ConversationDetail {
  conversation: ConversationView;
  messages: ChatMessage[];
}

export interface ChatReadiness {
  configured: boolean;
  provider: ProviderKind;
  model: string;
}

export interface SendResult {
  conversation: ConversationView;
  user: ChatMessage;
  /** Null when the user stopped the turn before Emily said anything: their message is kept. */
  reply: ChatMessage | null;
}

export interface BackupView {
  id: string;
  profileId: string;
  createdAt: string;
  bytes: number;
  kind: 'daily' | 'weekly' | 'manual';
}

export interface ExportResult {
  bytes: number;
  file: string;
}

/** portability.restore: the profile the backup now lives in. */
export interface RestoreResult extends ProfileView {
  /** In place: the backup is in place but clearing the old copy failed (see ImportResult.unfinished). */
  unfinished?: string;
}

export interface ImportResult {
  profile: ProfileView | null;
  /** What the import added (for chat history: conversations and turns, for dumps: rows). */
  counts: Record<string, number>;
  /** portability.replace: the backup of what the profile held before (listed with its backups). */
  previousBackup?: BackupView;
  /**
   * portability.replace: the new Emily is in place but clearing the old one failed; until the
   * next start (or "emily doctor --repair") finishes it, the profile answers BUSY. Says so.
   */
  unfinished?: string;
}
