/** Language models behind one interface: remote servers, Anthropic, local GGUF, none. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface LanguageModel {
  /** e.g. "openai-compatible:llama3.1:8b" — shown next to replies, never a secret. */
  readonly id: string;
  /** Context window in tokens, when known; the turn pipeline budgets its context with it. */
  readonly contextTokens: number;
  /**
   * False for a model that does not follow instructions (the instant bench model, which
   * echoes): the rules then read its turns instead of asking it for structured output.
   */
  readonly followsInstructions?: boolean;
  /** Streams the reply's text pieces. Throws EmilyError (MODEL_UNREACHABLE, UNAUTHORIZED, NOT_FOUND, BAD_INPUT, PROVIDER_ERROR, CANCELLED). */
  stream(req: ChatRequest): AsyncIterable<string>;
  /** A cheap call that proves the settings work ("test connection"). */
  test(signal?: AbortSignal): Promise<{ ok: true; detail: string }>;
}

export const PROVIDER_KINDS = ['none', 'openai-compatible', 'anthropic', 'local-gguf', 'instant'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Per-user model settings as stored in the user's database (no secrets in here). */
export interface ModelSettings {
  provider: ProviderKind;
  model: string;
  baseUrl?: string;
  temperature?: number;
  /** local-gguf: path of the model file. */
  modelPath?: string;
  contextTokens?: number;
}

export interface TimeoutPolicy {
  /** Until the response headers arrive. */
  connectMs: number;
  /** Longest silence between two stream chunks. */
  idleMs: number;
  /** Retries of 429/5xx/connection errors before any text has been streamed. */
  retries: number;
}

export const DEFAULT_TIMEOUTS: TimeoutPolicy = { connectMs: 30_000, idleMs: 60_000, retries: 2 };
