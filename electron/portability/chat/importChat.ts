import { regularInputFile } from '../dumpFile.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Emily } from '../../core/emily.js';
import { EmilyError, toWireError, type WireError } from '../../core/errors.js';
import { reporter, type LongRunning } from '../progress.js';
import { parseChatGpt } from './chatgpt.js';
import { parseTranscript } from './transcript.js';
import type { ChatProblem, ParsedHistory } from './types.js';
import { writeConversation } from './writeTurns.js';
import { readZipEntry } from './zipEntry.js';

/**
 * The hook that turns imported L4 turns into L3 memories. The memory engine plugs its
 * consolidation in here (e.g. `learn: (userId, turnIds) => memory.consolidate(userId, turnIds)`).
 * Without a hook the turns stay in L4 with consolidated = false, which is exactly the
 * engine's backlog, so they are learned from when it next runs.
 */
export type LearnHook = (userId: string, turnIds: number[]) => Promise<void>;

export interface ChatImportOptions extends LongRunning {
  format?: 'auto' | 'chatgpt' | 'transcript';
  learn?: LearnHook;
  /** Largest conversations.json / transcript we read (default 500 MiB: under Node's longest string, which the file becomes). */
  maxBytes?: number;
  /** Turns handed to the learn hook at a time (default 2,000). */
  learnBatch?: number;
}

export interface ChatImportResult {
  source: ParsedHistory['source'];
  conversations: number;
  turnsInserted: number;
  turnsAlreadyThere: number;
  problems: ChatProblem[];
  learned: number;
  learnError?: WireError;
}

/**
 * Imports chat history into a user's L4. Each conversation is written in its own
 * transaction: a conversation is either fully imported or not at all; a failure or a
 * cancel between conversations keeps the ones already committed (re-running the import
 * completes it, since turns are matched by their source ids).
 */
export async function importChatHistory(emily: Emily, userId: string, file: string, opts: ChatImportOptions = {}): Promise<ChatImportResult> {
  const user = await emily.catalog.get(userId);
  const history = await readHistory(file, opts);
  const progress = reporter(opts.onProgress);
  const total = history.conversations.reduce((n, c) => n + c.turns.length, 0);
  const result: ChatImportResult = { source: history.source, conversations: 0, turnsInserted: 0, turnsAlreadyThere: 0, problems: history.problems, learned: 0 };
  let pending: number[] = [];
  let done = 0;
  const flush = async () => {
    if (!opts.learn || !pending.length || result.learnError) return (pending = []);
    const batch = pending;
    pending = [];
    progress({ phase: 'learn', done, total, message: `learning from ${batch.length} turns` });
    try {
      await opts.learn(user.id, batch);
      result.learned += batch.length;
    } catch (e) {
      // The turns are safely in L4 and still marked unconsolidated: the engine's backlog picks them up.
      result.learnError = toWireError(e);
    }
  };
  progress({ phase: 'import', done, total, message: `${history.conversations.length} conversations` });
  for (const conv of history.conversations) {
    if (opts.signal?.aborted) {
      // Each conversation commits on its own: say what stays.
      throw new EmilyError('CANCELLED', `the chat import was cancelled; the ${result.conversations} conversation${result.conversations === 1 ? '' : 's'} imported before it are kept, and importing the file again adds the rest`);
    }
    const w = await emily.withUserTransaction(user.id, (c) => writeConversation(c, history.source, conv));
    result.conversations++;
    result.turnsInserted += w.inserted.length;
    result.turnsAlreadyThere += w.skipped;
    pending = pending.concat(w.inserted); // not push(...): a conversation may hold more turns than a call has arguments
    done += conv.turns.length;
    progress({ phase: 'import', done, total, message: conv.title.slice(0, 80) });
    if (pending.length >= (opts.learnBatch ?? 2000)) await flush();
  }
  await flush();
  return result;
}

async function readHistory(file: string, opts: ChatImportOptions): Promise<ParsedHistory> {
  const { abs, st } = regularInputFile(file, 'a chat-history file');
  const max = opts.maxBytes ?? 500 * 1048576;
  const head = Buffer.alloc(4);
  const fd = fs.openSync(abs, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  const isZip = head.toString('latin1') === 'PK\u0003\u0004';
  if (!isZip && st.size > max) throw new EmilyError('BAD_INPUT', `${path.basename(abs)} is larger than ${Math.round(max / 1048576)} MiB; split it and import the parts`);
  const bytes = isZip ? await readZipEntry(abs, /(^|\/)conversations\.json$/, { maxBytes: max, signal: opts.signal }) : await fs.promises.readFile(abs);
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const format = opts.format && opts.format !== 'auto' ? opts.format : isZip || /^\s*\[/.test(text) ? 'chatgpt' : 'transcript';
  if (format === 'transcript') {
    const parsed = parseTranscript(text, path.basename(abs).replace(/\.[^.]*$/, ''));
    // As for a ChatGPT export: a file of which nothing could be read is not a successful import.
    if (!parsed.conversations.length && parsed.problems.length) throw new EmilyError('BAD_INPUT', `no message could be read (${parsed.problems.length} line${parsed.problems.length > 1 ? 's' : ''} refused, the first: ${parsed.problems[0]!.where}: ${parsed.problems[0]!.message}); docs/transcript-format.md describes the format`);
    return parsed;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EmilyError('BAD_INPUT', `${isZip ? 'conversations.json in the zip' : path.basename(abs)} is not valid JSON (${(e as Error).message}); is it a ChatGPT export?`);
  }
  const parsed = parseChatGpt(json);
  if (!parsed.conversations.length && parsed.problems.length) throw new EmilyError('BAD_INPUT', `no conversation could be read: ${parsed.problems[0]!.where}: ${parsed.problems[0]!.message}`);
  return parsed;
}
