import { withHeldDoor } from '../cognition/heldDoor.js';
import {
  checkDrift,
  giveFeedback,
  learnFromExchange,
  MAX_QUERY_CHARS,
  MAX_TURN_CHARS,
  ModelTurnReader,
  recallInContext,
  resolveEmbedder,
  WorkingMemories,
  type Embedder,
  type FeedbackInput,
  type FeedbackResult,
  type RecallResult,
  type UserDoor,
} from '../cognition/index.js';
import { cleanText, positiveId } from '../cognition/text.js';
import { EmilyError, toEmilyError, toWireError, type WireError } from '../core/errors.js';
import type { LanguageModel } from '../providers/llm/types.js';
import { buildContext } from './contextPackage.js';
import { answerFromMemory, type MemoryAnswerReason } from './memoryAnswer.js';
import { storeUserTurn } from './userTurn.js';

export interface TurnInput {
  conversationId?: number;
  text: unknown;
  temperature?: number;
}

/** Pushed while a turn runs, so a UI can show memories first and then the streamed reply. */
export interface TurnEvents {
  started?(e: { conversationId: number; userTurnId: number }): void;
  memories?(results: RecallResult[]): void;
  status?(s: { mode: 'model' | 'memory'; reason?: MemoryAnswerReason; message?: string }): void;
  token?(text: string): void;
}

export interface TurnTimings {
  store_ms: number;
  recall_ms: number;
  context_ms: number;
  model_ms: number;
  /** The language model reading the turn for memories (0 when the rules do). */
  read_ms: number;
  learn_ms: number;
  total_ms: number;
  /** Everything except waiting for the language model (its reply and its reading of the turn). */
  overhead_ms: number;
}

export interface TurnOutcome {
  conversationId: number;
  userTurnId: number;
  assistantTurnId: number | null;
  reply: string;
  mode: 'model' | 'memory';
  model: string | null;
  cut: boolean;
  /** What went wrong with the model, when something did (the turn itself was kept). */
  error?: WireError;
  memories: RecallResult[];
  learned: { promoted: number[]; reinforced: number[]; readBy: { by: string; fallback?: string } };
  timings: TurnTimings;
}

export interface ChatEngineOptions {
  workingMemories?: WorkingMemories;
  /** The user's embedder; the built-in one unless configured (see cognition resolveEmbedder). */
  embedderFor?: (userId: string, door: UserDoor) => Promise<Embedder>;
  historyTurns?: number;
  /** Every this many turns of a user, drift is measured (and self-correction queued) in the background. */
  driftEvery?: number;
  /** How long a model may go on replying before Emily stops it (default 15 minutes). */
  replyDeadlineMs?: number;
}

/** Long enough for a slow local model's longest answer; a reply still running then is stuck. */
const REPLY_DEADLINE_MS = 15 * 60_000;

function hasVisibleText(text: string): boolean {
  return /[^\s\p{Cc}\p{Cf}]/u.test(text);
}

/**
 * The chat turn: store the user's message first (it is never lost), recall, assemble the
 * context, stream the model (or answer from memory), then learn from the exchange in one
 * transaction. A cancel or a model failure mid-stream keeps what was said, marked as cut.
 */
export class ChatEngine {
  readonly workingMemories: WorkingMemories;
  private readonly turnsSinceDrift = new Map<string, number>();
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly door: UserDoor,
    private readonly o: ChatEngineOptions = {},
  ) {
    this.workingMemories = o.workingMemories ?? new WorkingMemories();
  }

  async send(userId: string, model: LanguageModel | undefined, input: TurnInput, events: TurnEvents = {}, signal?: AbortSignal): Promise<TurnOutcome> {
    const t0 = performance.now();
    const text = cleanText(input.text, 'your message', MAX_TURN_CHARS);
    const requested = input.conversationId === undefined ? undefined : positiveId(input.conversationId, 'conversationId');

    // Everything before the model runs on one held connection (see withHeldDoor).
    const before = await withHeldDoor(this.door, userId, async (door) => {
      const stored = await storeUserTurn(door, userId, { conversationId: requested, text, title: titleFrom(text), historyTurns: this.o.historyTurns ?? 20 });
      events.started?.({ conversationId: stored.conversationId, userTurnId: stored.userTurnId });
      const tStored = performance.now();

      const wm = await this.workingMemories.get(door, userId);
      const embedder = this.o.embedderFor ? await this.o.embedderFor(userId, door) : await resolveEmbedder(door, userId);
      const recalled = await recallInContext(door, userId, text.slice(0, MAX_QUERY_CHARS), { embedder, workingMemory: wm, textOnlyIfEmbedderFails: true });
      return { ...stored, tStored, wm, embedder, recalled };
    });
    const { conversationId, userTurnId, identity, history, tStored, wm, embedder, recalled } = before;
    const memories = recalled.response.results.filter((r) => !(r.tier === 'L4' && r.id === userTurnId));
    events.memories?.(memories);
    const tRecalled = performance.now();

    const pkg = buildContext({ identity, memories, history, userText: text, contextTokens: model?.contextTokens ?? 8192 });
    const tContext = performance.now();

    let reply = '';
    let mode: 'model' | 'memory' = 'model';
    let cut = false;
    let error: WireError | undefined;
    let reason: MemoryAnswerReason | undefined;
    if (!model) reason = 'no-model';
    else {
      events.status?.({ mode: 'model' });
      // A model server may never end its reply (a loop, a stream of keep-alives): a reply is
      // stopped at the size a turn can hold, or after a deadline, keeping what was said.
      const deadlineMs = this.o.replyDeadlineMs ?? REPLY_DEADLINE_MS;
      const stop = new AbortController();
      const onCancel = () => stop.abort(signal?.reason);
      signal?.addEventListener('abort', onCancel, { once: true });
      let limit: 'length' | 'time' | undefined;
      const timer = setTimeout(() => ((limit = 'time'), stop.abort()), deadlineMs);
      try {
        for await (const piece of model.stream({ messages: pkg.messages, temperature: input.temperature, signal: stop.signal })) {
          const part = piece.slice(0, MAX_TURN_CHARS - reply.length);
          reply += part;
          events.token?.(part);
          if (reply.length >= MAX_TURN_CHARS) {
            limit = 'length';
            break;
          }
        }
      } catch (e) {
        const err = toEmilyError(e);
        if (limit) {
          /* stopped by Emily: said below */
        } else if (err.code === 'CANCELLED' || signal?.aborted) cut = true;
        else if (reply) {
          cut = true;
          error = toWireError(err);
        } else {
          error = toWireError(err);
          reason = err.code === 'MODEL_UNREACHABLE' ? 'model-unreachable' : 'model-failed';
        }
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onCancel);
      }
      if (limit) {
        const why = limit === 'time' ? `the model was still replying after ${deadlineMs >= 60_000 ? `${Math.round(deadlineMs / 60_000)} minutes` : `${Math.round(deadlineMs / 1000)} s`}` : `the model's reply reached ${MAX_TURN_CHARS.toLocaleString('en')} characters, as much as a turn holds`;
        error = toWireError(new EmilyError('PROVIDER_ERROR', `${why}; Emily stopped it${reply ? ' and kept what it had said' : ''}`));
        if (reply) cut = true;
        else reason = 'model-failed';
      } else if (!reason && !cut && !error && !hasVisibleText(reply)) {
        // A finished reply with nothing to read (only spaces or control characters) is a failure, not an answer.
        error = toWireError(new EmilyError('PROVIDER_ERROR', `${model.id} finished its reply without any text`));
        reason = 'model-failed';
      }
    }
    if (reason && !(signal?.aborted)) {
      mode = 'memory';
      reply = answerFromMemory(memories, reason);
      events.status?.({ mode: 'memory', reason, message: error?.message });
      events.token?.(reply);
    }
    const tModel = performance.now();

    // The model reads the turn (memories, reaction to her last reply) when it answered this
    // one in full; after a failure or a cancel the rules do, so nobody waits on a dead model.
    // It is asked before a connection is held, so a slow model never sits on the pool.
    const previous = history[history.length - 1];
    const previousReply = previous?.role === 'assistant' ? previous.content : undefined;
    const reading = model && mode === 'model' && !cut && !error && model.followsInstructions !== false
      ? await new ModelTurnReader(model).read({ userText: text, assistantText: reply, previousReply })
      : undefined;
    const reader = reading && { read: () => Promise.resolve(reading) };
    const tRead = performance.now();
    const used = memories.filter((m) => m.tier === 'L3').map((m) => ({ memoryId: m.id, score: { ...m.components, total: m.score } }));
    let r;
    try {
      r = await withHeldDoor(this.door, userId, (door) => learnFromExchange(
        door,
        userId,
        {
          conversationId,
          userTurnId,
          userText: text,
          assistantText: reply || undefined,
          assistantCut: cut,
          assistantMeta: { mode, model: mode === 'model' ? model?.id ?? null : null, ...(error ? { error } : {}), ...(reason ? { reason } : {}) },
          usedMemories: mode === 'model' ? used : [],
          previousReply,
        },
        // The learning transaction reuses the model, framework and query vector of the recall moments ago.
        { embedder, reader, keepWithoutVectors: true, known: { model: recalled.model ?? undefined, framework: recalled.framework, embedded: recalled.embedded ?? undefined } },
      ));
    } catch (e) {
      const err = toEmilyError(e);
      if (err.code === 'NOT_FOUND') throw new EmilyError('NOT_FOUND', `the conversation was deleted while Emily was replying, so her reply was not saved`, { cause: e });
      throw err;
    }
    const { assistantTurnId } = r;
    const learned = { promoted: r.promoted, reinforced: r.reinforced, readBy: r.readBy };
    this.maybeCheckDrift(userId);
    wm.observeTurn({ id: userTurnId, conversationId, role: 'user', content: text });
    if (assistantTurnId) wm.observeTurn({ id: assistantTurnId, conversationId, role: 'assistant', content: reply });
    const tEnd = performance.now();
    return {
      conversationId,
      userTurnId,
      assistantTurnId,
      reply,
      mode,
      model: model?.id ?? null,
      cut,
      error,
      memories,
      learned,
      timings: timings(t0, tStored, tRecalled, tContext, tModel, tRead, tEnd),
    };
  }

  /** Drift is measured off the turn's path; a failure only postpones it to the next round. */
  private maybeCheckDrift(userId: string): void {
    const every = this.o.driftEvery ?? 20;
    const n = (this.turnsSinceDrift.get(userId) ?? 0) + 1;
    if (n < every) {
      this.turnsSinceDrift.set(userId, n);
      return;
    }
    this.turnsSinceDrift.set(userId, 0);
    const p = checkDrift(this.door, userId).catch(() => undefined);
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Waits for background drift checks (before shutting down). */
  async settle(): Promise<void> {
    await Promise.all([...this.background]);
  }

  feedback(userId: string, assistantTurnId: unknown, feedback: FeedbackInput): Promise<FeedbackResult> {
    return giveFeedback(this.door, userId, assistantTurnId, feedback);
  }
}

function titleFrom(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 57)}…` : t || 'New conversation';
}

function timings(t0: number, stored: number, recalled: number, context: number, model: number, read: number, end: number): TurnTimings {
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    store_ms: r(stored - t0),
    recall_ms: r(recalled - stored),
    context_ms: r(context - recalled),
    model_ms: r(model - context),
    read_ms: r(read - model),
    learn_ms: r(end - read),
    total_ms: r(end - t0),
    overhead_ms: r(end - t0 - (model - context) - (read - model)),
  };
}
