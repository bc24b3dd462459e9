import type pg from 'pg';
import { EmilyError, isModelFailure, toEmilyError } from '../core/errors.js';
import type { EmbeddingModel } from '../embeddings/registry.js';
import { enqueueJob } from '../jobs/queue.js';
import type { Embedder } from '../embeddings/types.js';
import { defaultEmbedder, defaultExtractor, modelFor, type CognitionOptions, type UserDoor } from './context.js';
import type { Candidate, MemorySource } from './extractor.js';
import { loadFramework } from './framework.js';
import { rulesReader } from './modelReader.js';
import { processFollowUp, type FollowUpResult } from './outcomes.js';
import { promoteCandidates, type CandidateDecision } from './promotion.js';
import { recordUses, type UseInput } from './uses.js';
import { assertEmbedderFits, TURN_EMBED_CHARS, vectorParam } from './vectors.js';
import { cleanText, MAX_TURN_CHARS, positiveId } from './text.js';

export interface ExchangeInput {
  /** Existing conversation; a new one is started when omitted. */
  conversationId?: number;
  userText: string;
  /**
   * The user's turn when it is already in L4 (the chat pipeline stores it before calling the
   * model, so a crash or a model failure never loses what the user said). conversationId is
   * then required and userText must be that turn's text.
   */
  userTurnId?: number;
  /** Emily's reply; omitted for a bare "remember this". */
  assistantText?: string;
  /** The reply was cut short (cancelled, or the model failed mid-stream). */
  assistantCut?: boolean;
  /** Stored with the reply: how it was produced (model id, memory-only mode, error). */
  assistantMeta?: Record<string, unknown>;
  /** Where the turns come from: chat, import, cli… */
  source?: string;
  /** Ids the turns had at their source (imports), for de-duplication and provenance. */
  userSourceId?: string;
  assistantSourceId?: string;
  /** Memories that were in the context of the reply (recorded as its uses, for EARL). */
  usedMemories?: UseInput[];
  memorySource?: MemorySource;
  /** Emily's reply before this user turn, for a model reader to judge the reaction to it. */
  previousReply?: string;
  /**
   * Leave the open uses of the conversation's latest reply alone: the text is not a reaction
   * to that reply (a correction given as feedback on an older one, whose outcome the feedback
   * itself has set).
   */
  notAFollowUp?: boolean;
}

export interface LearnResult {
  conversationId: number;
  userTurnId: number;
  assistantTurnId: number | null;
  candidates: CandidateDecision[];
  promoted: number[];
  reinforced: number[];
  followUp: FollowUpResult;
  /** Who read the turn ("model:<id>" or the rules), and why the model was not used when it was not. */
  readBy: { by: string; fallback?: string };
  usesRecorded: number;
}

const SOURCE_RE = /^[a-z][a-z0-9_.-]{0,31}$/;

/**
 * The learning cycle after one exchange, in ONE transaction: write both turns to L4,
 * classify the user's turn against the open uses (EARL), record the reply's uses, extract
 * candidates, promote / collapse / link, update metrics. Extraction and embedding happen
 * before the transaction (they may call a model); on any error nothing is written.
 */
export async function learnFromExchange(door: UserDoor, userId: string, input: ExchangeInput, opts: CognitionOptions = {}): Promise<LearnResult> {
  const userText = cleanText(input.userText, 'the message', MAX_TURN_CHARS);
  const assistantText = input.assistantText === undefined ? undefined : cleanText(input.assistantText, "Emily's reply", MAX_TURN_CHARS, { allowEmpty: true });
  const source = input.source ?? 'chat';
  if (!SOURCE_RE.test(source)) throw new EmilyError('BAD_INPUT', `"${source.slice(0, 40)}" is not a valid turn source (lower-case word, e.g. chat or import)`);
  const conversationId = input.conversationId === undefined ? undefined : positiveId(input.conversationId, 'conversationId');
  if (input.userTurnId !== undefined && conversationId === undefined) throw new EmilyError('BAD_INPUT', 'a stored user turn needs its conversationId');
  const embedder = opts.embedder ?? defaultEmbedder;
  const reader = opts.reader ?? rulesReader(opts.extractor ?? defaultExtractor);

  const reading = await reader.read({ userText, assistantText, previousReply: input.previousReply });
  const candidates: Candidate[] = reading.candidates;
  // The caller's model and vector count only if they are this embedder's.
  const ofEmbedder = opts.known?.model?.id === embedder.id ? opts.known : undefined;
  const userEmbedText = userText.slice(0, TURN_EMBED_CHARS);
  let model: EmbeddingModel | null = null;
  let embedded: { user?: ArrayLike<number>; assistant?: ArrayLike<number>; candidates: ArrayLike<number>[] } = { candidates: [] };
  try {
    model = ofEmbedder?.model ?? (await modelFor(door, userId, embedder));
    const reuse = ofEmbedder?.embedded?.text === userEmbedText && ofEmbedder.embedded.vector.length === model.dimensions ? ofEmbedder.embedded.vector : undefined;
    embedded = await embedTurn(embedder, userEmbedText, assistantText ? assistantText.slice(0, TURN_EMBED_CHARS) : undefined, candidates, reuse);
    assertEmbedderFits(model, [embedded.user, embedded.assistant, ...embedded.candidates]);
  } catch (e) {
    if (!opts.keepWithoutVectors || !isModelFailure(e)) throw e;
    model = null; // the exchange is kept without vectors; its memories wait for the backlog consolidation
  }
  const deferred = model === null;
  const userVector = model && embedded.user ? vectorParam(model, embedded.user, "the embedding of the user's message") : null;
  const assistantVector = model && embedded.assistant ? vectorParam(model, embedded.assistant, "the embedding of Emily's reply") : null;
  const vectorOf = (vector: string | null): TurnVector => ({ modelIdx: model?.idx ?? 0, vector });

  try {
    return await door.withUserTransaction(userId, async (client) => {
      const params = (opts.known?.framework ?? (await loadFramework(client))).params;
      const convId = conversationId ?? (await newConversation(client, userText, source));
      // The turns are marked consolidated as they are written or found: this transaction is
      // their learning, and nothing is visible to others before it commits.
      let userTurnId: number;
      if (input.userTurnId === undefined) {
        await touchConversation(client, conversationId);
        userTurnId = await insertTurn(client, convId, 'user', userText, source, input.userSourceId, { embedding: vectorOf(userVector), consolidated: !deferred });
      } else {
        userTurnId = await claimUserTurn(client, convId, input.userTurnId, vectorOf(userVector), !deferred);
      }
      const followUp = input.notAFollowUp
        ? { signal: null, events: 0, resolved: 0 }
        : await processFollowUp(client, { conversationId: convId, userTurnId, userText, userVector, model, params, reaction: reading.reaction });
      const assistantTurnId = assistantText
        ? await insertTurn(client, convId, 'assistant', assistantText, source, input.assistantSourceId, { cut: input.assistantCut, meta: input.assistantMeta, embedding: vectorOf(assistantVector) })
        : null;
      if (deferred) {
        // Background jobs fill in what the embedder could not do now, retried until it answers.
        await enqueueJob(client, 'consolidate', { reason: 'the embedder failed during a chat turn' }, { dedupeKey: 'consolidate:backlog' });
        await enqueueJob(client, 'reembed', { current: true, reason: 'the embedder failed during a chat turn' }, { dedupeKey: 'reembed:current' });
      }
      const usesRecorded = assistantTurnId && input.usedMemories?.length ? await recordUses(client, assistantTurnId, input.usedMemories) : 0;
      const decisions = !model ? [] : await promoteCandidates(client, {
        model,
        params,
        items: candidates.map((candidate, i) => ({ candidate, vector: embedded.candidates[i]! })),
        turnIds: [userTurnId],
        source: input.memorySource ?? (source === 'import' ? 'imported' : 'user-stated'),
      });
      return {
        conversationId: convId,
        userTurnId,
        assistantTurnId,
        candidates: decisions,
        promoted: decisions.filter((d) => d.decision === 'promoted').map((d) => d.memoryId!),
        reinforced: decisions.filter((d) => d.decision === 'reinforced').map((d) => d.memoryId!),
        followUp,
        readBy: { by: reading.by, ...(reading.fallback ? { fallback: reading.fallback } : {}) },
        usesRecorded,
      };
    });
  } catch (e) {
    throw toEmilyError(e, 'could not save this exchange (nothing was written)');
  }
}

/**
 * The user's text, the reply and the candidates in one embedding call; the user's text is
 * left out when the turn's recall already embedded exactly that text with this model (a
 * remote embedder is then asked once per turn, or not at all when there is no reply and
 * nothing is extracted).
 */
async function embedTurn(
  embedder: Embedder,
  userText: string,
  assistantText: string | undefined,
  candidates: Candidate[],
  userVector: ArrayLike<number> | undefined,
): Promise<{ user: ArrayLike<number>; assistant: ArrayLike<number> | undefined; candidates: ArrayLike<number>[] }> {
  const texts = (reply: string | undefined) => [...(userVector ? [] : [userText]), ...(reply ? [reply] : []), ...candidates.map((c) => c.content)];
  const embed = async (t: string[]) => (t.length ? embedder.embed(t) : []);
  let reply = assistantText;
  let vectors: ArrayLike<number>[];
  try {
    vectors = await embed(texts(reply));
  } catch (e) {
    // The reply is already streamed to the user: if the embedder refuses it (too long for a
    // small server, say), it is kept without a vector rather than lost with the exchange.
    if (!reply) throw e;
    reply = undefined;
    vectors = await embed(texts(reply));
  }
  const user = userVector ?? vectors.shift()!;
  const assistant = reply ? vectors.shift() : undefined;
  return { user, assistant, candidates: vectors };
}

async function newConversation(client: pg.ClientBase, firstText: string, source: string): Promise<number> {
  const title = firstText.replace(/\s+/g, ' ').slice(0, 60) || 'New conversation';
  const r = await client.query<{ id: string }>('INSERT INTO conversations (title, source) VALUES ($1, $2) RETURNING id', [title, source]);
  return Number(r.rows[0]!.id);
}

async function insertTurn(
  client: pg.ClientBase,
  conversationId: number,
  role: 'user' | 'assistant',
  content: string,
  source: string,
  sourceId?: string,
  extra: { cut?: boolean; meta?: Record<string, unknown>; embedding?: TurnVector; consolidated?: boolean } = {},
): Promise<number> {
  // The turn and its vector in one statement: a cold backend plans each statement afresh.
  const r = await client.query<{ id: string }>(
    `WITH t AS (INSERT INTO turns (conversation_id, role, content, source, source_id, cut, meta, consolidated) VALUES ($1, $2, $3, $4, $5, $6, $7, $10) RETURNING id),
          e AS (INSERT INTO turn_embeddings (turn_id, model_idx, embedding) SELECT id, $8, $9::vector FROM t WHERE $9::text IS NOT NULL)
     SELECT id FROM t`,
    [conversationId, role, content, source, sourceId ?? null, extra.cut ?? false, JSON.stringify(extra.meta ?? {}), extra.embedding?.modelIdx ?? null, extra.embedding?.vector ?? null, extra.consolidated ?? true],
  );
  return Number(r.rows[0]!.id);
}

/** A turn's vector of the current model (null: nothing to embed). */
interface TurnVector {
  modelIdx: number;
  vector: string | null;
}

async function touchConversation(client: pg.ClientBase, conversationId: number | undefined): Promise<void> {
  if (conversationId === undefined) return;
  const c = await client.query('UPDATE conversations SET updated_at = now() WHERE id = $1', [conversationId]);
  if (!c.rowCount) throw new EmilyError('NOT_FOUND', `there is no conversation ${conversationId}; start a new one by leaving the id out`);
}

/** The chat's user turn, stored before the reply: touches its conversation and marks the turn, in one statement. */
async function claimUserTurn(client: pg.ClientBase, conversationId: number, turnId: unknown, embedding: TurnVector, consolidated: boolean): Promise<number> {
  const id = positiveId(turnId, 'userTurnId');
  const r = await client.query<{ conv: number; turn: number }>(
    `WITH conv AS (UPDATE conversations SET updated_at = now() WHERE id = $1 RETURNING id),
          turn AS (UPDATE turns SET consolidated = $5 WHERE id = $2 AND conversation_id = $1 AND role = 'user' RETURNING id),
          e AS (INSERT INTO turn_embeddings (turn_id, model_idx, embedding) SELECT id, $3, $4::vector FROM turn WHERE $4::text IS NOT NULL
                ON CONFLICT (turn_id, model_idx) DO NOTHING)
     SELECT (SELECT count(*) FROM conv)::int AS conv, (SELECT count(*) FROM turn)::int AS turn`,
    [conversationId, id, embedding.modelIdx, embedding.vector, consolidated],
  );
  if (!r.rows[0]!.conv) throw new EmilyError('NOT_FOUND', `there is no conversation ${conversationId}; start a new one by leaving the id out`);
  if (!r.rows[0]!.turn) throw new EmilyError('NOT_FOUND', `turn ${id} is not a user turn of conversation ${conversationId} (was the conversation deleted?)`);
  return id;
}
