import { createHash } from 'node:crypto';
import { z } from 'zod';
import { clip, type ChatConversation, type ChatProblem, type ParsedHistory } from './types.js';

/**
 * The JSON-lines transcript format (docs/transcript-format.md): one message per line,
 * {"speaker", "text", "time"?, "id"?, "conversation"?, "title"?}. Lines that do not parse
 * are reported with their number and skipped; the rest is imported.
 */
const SPEAKERS: Record<string, 'user' | 'assistant' | 'system'> = { user: 'user', human: 'user', me: 'user', assistant: 'assistant', ai: 'assistant', bot: 'assistant', emily: 'assistant', system: 'system' };

const Line = z.object({
  speaker: z.string().min(1),
  text: z.string(),
  time: z.string().optional(),
  id: z.union([z.string().min(1).max(200), z.number().int()]).optional(),
  conversation: z.union([z.string().min(1).max(200), z.number().int()]).optional(),
  title: z.string().max(500).optional(),
});

export function parseTranscript(text: string, fileLabel: string): ParsedHistory {
  const problems: ChatProblem[] = [];
  const byId = new Map<string, ChatConversation>();
  const repeats = new Map<string, number>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `line ${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return problems.push({ where, message: 'not valid JSON' });
    }
    const p = Line.safeParse(json);
    if (!p.success) return problems.push({ where, message: `${p.error.issues[0]?.path.join('.') || 'line'}: ${p.error.issues[0]?.message ?? 'invalid'}` });
    const l = p.data;
    const role = SPEAKERS[l.speaker.toLowerCase()];
    if (!role) return problems.push({ where, message: `unknown speaker "${l.speaker.slice(0, 40)}" (use user, assistant or system)` });
    if (!l.text.trim()) return problems.push({ where, message: 'empty text' });
    let time: Date | undefined;
    if (l.time !== undefined) {
      time = new Date(l.time);
      // A date PostgreSQL can store (years 1–9999 here), written as ISO-8601 starts: "1" is not the year 2001.
      const year = time.getUTCFullYear();
      if (!/^\d{4}-\d{2}-\d{2}/.test(l.time) || Number.isNaN(time.getTime()) || year < 1 || year > 9999) return problems.push({ where, message: `time "${l.time.slice(0, 40)}" is not an ISO-8601 date` });
    }
    const convId = l.conversation !== undefined ? String(l.conversation) : fileLabel;
    let conv = byId.get(convId);
    if (!conv) {
      conv = { sourceId: convId, title: l.title?.trim() || (l.conversation !== undefined ? `Transcript ${convId}` : `Transcript ${fileLabel}`), createdAt: time, turns: [] };
      byId.set(convId, conv);
    } else if (l.title?.trim()) conv.title = l.title.trim();
    const { text: body, cut } = clip(l.text);
    // Without an id, a digest of the message makes re-importing the same file a no-op.
    let own = l.id !== undefined ? String(l.id) : `sha256:${createHash('sha256').update(`${role}\u0000${l.time ?? ''}\u0000${l.text}`).digest('hex').slice(0, 32)}`;
    const seen = repeats.get(`${convId}/${own}`) ?? 0;
    repeats.set(`${convId}/${own}`, seen + 1);
    if (seen && l.id === undefined) own += `#${seen + 1}`; // the same words said twice are two turns
    else if (seen) return problems.push({ where, message: `id "${own.slice(0, 40)}" appears twice in this conversation; skipped` });
    conv.turns.push({ role, text: body, time, sourceId: `${convId}/${own}`, meta: cut ? { cut_at_import: true } : {} });
  });
  return { source: 'transcript', conversations: [...byId.values()], problems };
}
