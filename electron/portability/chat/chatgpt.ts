import { z } from 'zod';
import { clip, type ChatConversation, type ChatProblem, type ChatTurn, type ParsedHistory } from './types.js';

/**
 * ChatGPT's data export: conversations.json is an array of conversations, each a tree of
 * messages (`mapping`, node → {message, parent, children}) because edits and regenerations
 * branch. We import the branch the user last saw: from `current_node` up to the root.
 */
const Message = z.object({
  id: z.string().min(1),
  author: z.object({ role: z.string() }).passthrough(),
  create_time: z.number().nullable().optional(),
  content: z.object({ content_type: z.string(), parts: z.array(z.unknown()).optional(), text: z.string().optional() }).passthrough(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});
const Node = z.object({ message: z.unknown().nullable().optional(), parent: z.string().nullable().optional(), children: z.array(z.string()).optional() });
const Conversation = z.object({
  title: z.string().nullable().optional(),
  create_time: z.number().nullable().optional(),
  mapping: z.record(z.string(), Node),
  current_node: z.string().nullable().optional(),
  conversation_id: z.string().optional(),
  id: z.string().optional(),
});

export function parseChatGpt(json: unknown): ParsedHistory {
  const problems: ChatProblem[] = [];
  if (!Array.isArray(json)) return { source: 'chatgpt', conversations: [], problems: [{ where: 'conversations.json', message: 'expected a list of conversations' }] };
  const conversations: ChatConversation[] = [];
  const messageIds = new Set<string>();
  json.forEach((raw, i) => {
    const where = `conversation ${i + 1}`;
    const parsed = Conversation.safeParse(raw);
    if (!parsed.success) return problems.push({ where, message: `not a ChatGPT conversation (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'})` });
    const c = parsed.data;
    const id = c.conversation_id ?? c.id;
    if (!id) return problems.push({ where, message: 'the conversation has no id' });
    const turns: ChatTurn[] = [];
    let unreadable = 0;
    for (const nodeId of branch(c.mapping, c.current_node ?? undefined)) {
      const raw = c.mapping[nodeId]?.message;
      const m = Message.safeParse(raw);
      if (!m.success) {
        if (raw != null) unreadable++; // the root and empty placeholder nodes carry no message at all
        continue;
      }
      const turn = toTurn(m.data);
      if (!turn) continue;
      // Message ids are the turns' keys across every import: one seen in another conversation
      // of this file (a hand-made or hostile export) is kept under its conversation's id too.
      if (messageIds.has(turn.sourceId)) turn.sourceId = `${id}/${turn.sourceId}`;
      messageIds.add(turn.sourceId);
      turns.push(turn);
    }
    if (unreadable) problems.push({ where: `${where} (${c.title ?? id})`, message: `${unreadable} message${unreadable === 1 ? '' : 's'} not in ChatGPT's format (skipped)` });
    if (!turns.length) return problems.push({ where: `${where} (${c.title ?? id})`, message: 'no text messages; skipped' });
    conversations.push({ sourceId: id, title: (c.title ?? '').trim() || 'Imported conversation', createdAt: seconds(c.create_time), turns });
  });
  return { source: 'chatgpt', conversations, problems };
}

/** Node ids from the root to `leaf` (or, without one, following the last child). */
function branch(mapping: Record<string, z.infer<typeof Node>>, leaf: string | undefined): string[] {
  const path: string[] = [];
  const seen = new Set<string>();
  if (leaf && mapping[leaf]) {
    for (let id: string | null | undefined = leaf; id && mapping[id] && !seen.has(id); id = mapping[id]!.parent) {
      seen.add(id);
      path.push(id);
    }
    return path.reverse();
  }
  let id = Object.keys(mapping).find((k) => !mapping[k]!.parent);
  while (id && !seen.has(id)) {
    seen.add(id);
    path.push(id);
    const kids: string[] = mapping[id]?.children ?? [];
    id = kids[kids.length - 1];
  }
  return path;
}

function toTurn(m: z.infer<typeof Message>): ChatTurn | undefined {
  const role = m.author.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system') return undefined; // tool calls and their output
  if (m.metadata && m.metadata.is_visually_hidden_from_conversation === true) return undefined;
  if (m.content.content_type !== 'text' && m.content.content_type !== 'multimodal_text') return undefined;
  const text = (m.content.parts ?? []).filter((p): p is string => typeof p === 'string').join('\n').trim();
  if (!text) return undefined;
  const { text: body, cut } = clip(text);
  const meta: Record<string, unknown> = {};
  const model = m.metadata?.model_slug;
  if (typeof model === 'string') meta.model = model;
  if (cut) meta.cut_at_import = true;
  return { role, text: body, time: seconds(m.create_time), sourceId: m.id, meta };
}

function seconds(v: number | null | undefined): Date | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  const d = new Date(v * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
