import type { MemoryListRequest } from './contract/memory.js';
import type {
  BackupView, ChatMessage, ConnectionTest, ConversationDetail, ConversationView, DriftView, JobView, EmbeddingSettings, LanguageModelSettings,
  MemoryDetail, MemoryPage, MemoryRow, SendResult, TierBalance, UsedMemory,
} from './contract/views.js';
import type { ApiEvents } from './contract/events.js';

/**
 * The adapters the composition root wires to the memory engine, the chat pipeline and
 * portability. Each is a thin seam: the API domains validate, resolve the current profile
 * and secrets, and forward here. A build without a service does not register its domain.
 */

/** Settings plus the stored key, resolved by the settings domain (never persisted here). */
export type ResolvedLanguageModel = Omit<LanguageModelSettings, 'apiKeySet'> & { apiKey: string | null };
export type ResolvedEmbedding = Omit<EmbeddingSettings, 'apiKeySet'> & { apiKey: string | null };

export interface MemoryService {
  list(userId: string, req: MemoryListRequest, signal: AbortSignal): Promise<MemoryPage>;
  get(userId: string, memoryId: string): Promise<MemoryDetail>;
  /** Re-embeds; keeps the old text as a `supersedes` edge. */
  edit(userId: string, memoryId: string, text: string): Promise<MemoryDetail>;
  setPinned(userId: string, memoryId: string, pinned: boolean): Promise<MemoryRow>;
  setArchived(userId: string, memoryId: string, archived: boolean): Promise<MemoryRow>;
  remove(userId: string, memoryId: string): Promise<void>;
  balance(userId: string): Promise<TierBalance>;
  drift(userId: string): Promise<DriftView>;
  jobs(userId: string, activeOnly: boolean): Promise<JobView[]>;
  recall(userId: string, query: string, k: number): Promise<UsedMemory[]>;
  testEmbedding(embedding: ResolvedEmbedding, signal: AbortSignal): Promise<ConnectionTest>;
  /** The profile chose another embedding model: record it and re-embed in the background. */
  applyEmbedding?(userId: string, embedding: ResolvedEmbedding): Promise<void>;
}

/** Receives a reply as it is made; the chat domain turns these into pushed events. */
export interface ChatStreamSink {
  memories(uses: UsedMemory[]): void;
  status(status: Omit<ApiEvents['chat.status'], 'operationId'>): void;
  token(text: string): void;
}

export interface ChatService {
  conversations(userId: string): Promise<ConversationView[]>;
  open(userId: string, conversationId: string): Promise<ConversationDetail>;
  rename(userId: string, conversationId: string, title: string): Promise<ConversationView>;
  remove(userId: string, conversationId: string, opts: { forgetMemories: boolean }): Promise<void>;
  /**
   * One turn. On abort it must keep what was said so far (marked cut) and resolve with
   * it rather than reject; a model error mid-stream likewise ends in a stored, cut reply.
   */
  send(userId: string, model: ResolvedLanguageModel, req: { conversationId: string | null; text: string }, sink: ChatStreamSink, signal: AbortSignal): Promise<SendResult>;
  feedback(userId: string, messageId: string, verdict: 'helpful' | 'wrong', correction?: string): Promise<void>;
  testLanguageModel(model: ResolvedLanguageModel, signal: AbortSignal): Promise<ConnectionTest>;
  /** Drops what this process keeps of a profile's conversation (its working memory): its database was replaced. */
  forget?(userId: string): void;
}

export type ProgressSink = (p: Omit<ApiEvents['progress'], 'operationId'>) => void;

export interface PortabilityService {
  exportProfile(userId: string, outFile: string, format: 'custom' | 'plain', progress: ProgressSink, signal: AbortSignal): Promise<{ bytes: number }>;
  /** A pg_dump becomes a new profile; refusals are EmilyErrors (UNSAFE_DUMP, INVALID_DUMP, SCHEMA_TOO_NEW). */
  importDump(file: string, name: string | undefined, progress: ProgressSink, signal: AbortSignal): Promise<{ profileId: string; counts: Record<string, number> }>;
  importChatHistory(userId: string, file: string, progress: ProgressSink, signal: AbortSignal): Promise<{ counts: Record<string, number> }>;
  /** The dump's Emily in place of this profile's (checked and verified before the swap). */
  replaceWithDump(userId: string, file: string, progress: ProgressSink, signal: AbortSignal): Promise<{ counts: Record<string, number>; previousBackup: BackupView | null; unfinished?: string }>;
  listBackups(userId: string): Promise<BackupView[]>;
  backupNow(userId: string, progress: ProgressSink, signal: AbortSignal): Promise<BackupView>;
  /** Restores into a new profile (never over the live one) and answers its id. */
  restore(backupId: string, asName: string | undefined, progress: ProgressSink, signal: AbortSignal): Promise<{ profileId: string }>;
  /** A backup of this profile in its place (checked and verified before the swap; what it holds now is kept as a backup). */
  restoreInPlace(userId: string, backupId: string, progress: ProgressSink, signal: AbortSignal): Promise<{ unfinished?: string }>;
  /** Called when a profile is deleted. */
  deleteBackups(userId: string): Promise<void>;
}

/** The single global pause switch for background jobs (the memory engine may own it). */
export interface BackgroundWork {
  isPaused(): Promise<boolean>;
  setPaused(paused: boolean): Promise<void>;
}

export interface Services {
  memory?: MemoryService;
  chat?: ChatService;
  portability?: PortabilityService;
  background?: BackgroundWork;
  /** Stops what the services run in the background; called before the core closes. */
  shutdown?(): Promise<void>;
}

export type { ChatMessage };
