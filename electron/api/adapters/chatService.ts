import { ChatEngine } from '../../chat/chatEngine.js';
import { deleteConversation, getTurns, listConversations, renameConversation, toTurn } from '../../chat/conversations.js';
import { WorkingMemories } from '../../cognition/index.js';
import type { Emily } from '../../core/emily.js';
import { EmilyError } from '../../core/errors.js';
import { modelFromSettings } from '../../providers/llm/fromSettings.js';
import type { LanguageModel } from '../../providers/llm/types.js';
import type { ConversationDetail, ConversationView, SendResult, UsedMemory } from '../contract/views.js';
import type { ChatService, ResolvedLanguageModel } from '../services.js';
import type { EmbedderFor } from './embedderFor.js';
import { toChatMessage, toUsedMemory, type StoredTurn } from './views.js';

const conversationView = (c: { id: number; title: string; createdAt: Date; updatedAt: Date }): ConversationView => ({
  id: String(c.id),
  title: c.title,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

/**
 * Chat over the turn pipeline (electron/chat). fixedModel: every profile talks to this model
 * whatever its settings (the load benchmark's in-process instant model).
 */
export function chatService(emily: Emily, opts: { embedderFor?: EmbedderFor; fixedModel?: LanguageModel } = {}): ChatService & { settle(): Promise<void> } {
  const modelFrom = (settings: ResolvedLanguageModel): LanguageModel | undefined => opts.fixedModel ?? modelFromSettings(settings);
  const engine = new ChatEngine(emily, { workingMemories: new WorkingMemories(), embedderFor: opts.embedderFor });

  /** A conversation's messages with their memory uses; onlyTurnIds: just those turns. */
  async function messages(userId: string, conversationId: number, onlyTurnIds?: number[]) {
    return emily.withUser(userId, async (c) => {
      const all = onlyTurnIds
        ? (await c.query('SELECT id, conversation_id, role, content, source, source_id, cut, meta, created_at FROM turns WHERE conversation_id = $1 AND id = ANY($2::bigint[]) ORDER BY id', [conversationId, onlyTurnIds])).rows.map(toTurn)
        : await getTurns(c, conversationId);
      const turns = all.filter((t) => t.role !== 'system');
      const ids = turns.filter((t) => t.role === 'assistant').map((t) => t.id);
      const uses = new Map<number, UsedMemory[]>();
      if (ids.length) {
        const r = await c.query<{ turn_id: string; id: string; content: string; kind: string; score: Record<string, number> }>(
          'SELECT u.turn_id, m.id, m.content, m.kind, u.score FROM memory_uses u JOIN memories m ON m.id = u.memory_id WHERE u.turn_id = ANY($1::bigint[]) ORDER BY u.id',
          [ids],
        );
        for (const row of r.rows) {
          const list = uses.get(Number(row.turn_id)) ?? [];
          const s = row.score ?? {};
          list.push({
            id: String(row.id),
            text: row.content,
            kind: row.kind as UsedMemory['kind'],
            score: { similarity: s.similarity ?? 0, textMatch: s.text ?? 0, ecgl: s.ecgl ?? 0, recency: s.recency ?? 0, activation: s.activation ?? 0, total: s.total ?? 0 },
          });
          uses.set(Number(row.turn_id), list);
        }
      }
      return turns.map((t) =>
        toChatMessage(
          { id: String(t.id), role: t.role, content: t.content, cut: t.cut, meta: t.meta, created_at: t.createdAt } as StoredTurn,
          uses.get(t.id) ?? [],
          t.meta.feedback === 'helpful' || t.meta.feedback === 'wrong' ? t.meta.feedback : null,
        ),
      );
    });
  }

  async function conversation(userId: string, id: number): Promise<ConversationView> {
    const r = await emily.withUser(userId, (c) => c.query<{ id: string; title: string; created_at: Date; updated_at: Date }>('SELECT id, title, created_at, updated_at FROM conversations WHERE id = $1', [id]));
    const found = r.rows[0];
    if (!found) throw new EmilyError('NOT_FOUND', `conversation ${id} does not exist`);
    return conversationView({ id: Number(found.id), title: found.title, createdAt: found.created_at, updatedAt: found.updated_at });
  }

  return {
    settle: () => engine.settle(),
    conversations: async (userId) => (await emily.withUser(userId, (c) => listConversations(c))).map(conversationView),
    async open(userId, conversationId): Promise<ConversationDetail> {
      const id = Number(conversationId);
      return { conversation: await conversation(userId, id), messages: await messages(userId, id) };
    },
    async rename(userId, conversationId, title) {
      await emily.withUser(userId, (c) => renameConversation(c, conversationId, title));
      return conversation(userId, Number(conversationId));
    },
    async remove(userId, conversationId, opts) {
      await emily.withUserTransaction(userId, (c) => deleteConversation(c, conversationId, opts));
      engine.workingMemories.drop(userId);
    },
    async send(userId, settings, req, sink, signal): Promise<SendResult> {
      const out = await engine.send(
        userId,
        modelFrom(settings),
        { text: req.text, conversationId: req.conversationId ? Number(req.conversationId) : undefined, temperature: settings.temperature },
        {
          memories: (m) => sink.memories(m.filter((r) => r.tier === 'L3').map(toUsedMemory)),
          status: (s) =>
            sink.status({
              answeredBy: s.mode,
              reason: s.mode === 'model' ? null : s.reason === 'no-model' ? 'no-model' : s.reason === 'model-unreachable' ? 'unreachable' : 'model-error',
              message: s.message ?? (s.mode === 'model' ? '' : s.reason === 'no-model' ? 'No language model configured — answering from memory' : 'Model unreachable — answering from memory'),
            }),
          token: (t) => sink.token(t),
        },
        signal,
      );
      const pair = await messages(userId, out.conversationId, [out.userTurnId, out.assistantTurnId ?? 0]);
      const user = pair.find((m) => m.id === String(out.userTurnId));
      const reply = out.assistantTurnId === null ? null : pair.find((m) => m.id === String(out.assistantTurnId));
      if (!user || reply === undefined) throw new EmilyError('INTERNAL', 'the turn was stored but could not be read back');
      return { conversation: await conversation(userId, out.conversationId), user, reply };
    },
    forget(userId) {
      engine.workingMemories.drop(userId);
    },
    async feedback(userId, messageId, verdict, correction) {
      await engine.feedback(userId, messageId, correction ? { correction } : verdict);
      await emily.withUser(userId, (c) => c.query("UPDATE turns SET meta = meta || jsonb_build_object('feedback', $2::text) WHERE id = $1 AND role = 'assistant'", [Number(messageId), verdict]));
    },
    async testLanguageModel(settings, signal) {
      const started = performance.now();
      try {
        const model = modelFrom(settings);
        if (!model) return { ok: true, message: 'No model configured: Emily answers from memory.', latencyMs: null };
        const r = await model.test(signal);
        return { ok: true, message: r.detail, latencyMs: Math.round(performance.now() - started) };
      } catch (e) {
        return { ok: false, message: (e as Error).message, latencyMs: null };
      }
    },
  };
}
