import { assertUserId } from '../../core/ids.js';
import type { Emily } from '../../core/emily.js';
import { learnImported, queueLocalVectors } from '../../operations/learnImported.js';
import { createBackup, listBackups, removeUserBackups, type BackupInfo } from '../../portability/backups.js';
import { importChatHistory } from '../../portability/chat/importChat.js';
import { exportUser } from '../../portability/exportDump.js';
import { importDump, type ImportResult } from '../../portability/importDump.js';
import type { Progress } from '../../portability/progress.js';
import { restoreBackup } from '../../portability/restoreBackup.js';
import type { BackupView } from '../contract/views.js';
import type { PortabilityService, ProgressSink } from '../services.js';

const toProgress = (sink: ProgressSink) => (p: Progress) => sink({ phase: p.phase, done: p.done, total: p.total > 0 ? p.total : null, message: p.message });

/**
 * What a dump brought, in the words of the app: "memories" and "messages", not the tables
 * they live in. Tables that only support these (provenance, settings, the job queue, the
 * framework versions) are left out; the CLI reports every table.
 */
const SHOWN_ROWS: [label: string, tables: string[]][] = [
  ['conversations', ['conversations']],
  ['messages', ['turns']],
  ['memories', ['memories']],
  ['links between memories', ['memory_edges']],
  ['outcomes', ['outcome_events']],
  ['vectors', ['memory_embeddings', 'turn_embeddings']],
];

export const importCounts = (r: Pick<ImportResult, 'rows' | 'droppedVectors'>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const [label, tables] of SHOWN_ROWS) {
    const n = tables.reduce((sum, t) => sum + (r.rows[t] ?? 0), 0);
    if (n > 0 || label === 'memories' || label === 'messages') counts[label] = n;
  }
  if (r.droppedVectors) counts['vectors of the wrong size, left out (re-embedded in the background for the model in use)'] = r.droppedVectors;
  return counts;
};

const backupView = (b: BackupInfo): BackupView => ({ id: b.id, profileId: b.userId, createdAt: b.createdAt.toISOString(), bytes: b.bytes, kind: b.kind as BackupView['kind'] });

/** Export, import, backups and chat-history import over electron/portability. */
export function portabilityService(emily: Emily): PortabilityService {
  return {
    async exportProfile(userId, outFile, format, progress, signal) {
      // The file was chosen in a save dialog that asked before replacing one (or made fresh by the server).
      const r = await exportUser(emily, userId, outFile, { format, overwrite: true, onProgress: toProgress(progress), signal });
      return { bytes: r.bytes };
    },
    async importDump(file, name, progress, signal) {
      const r = await importDump(emily, file, { name, onProgress: toProgress(progress), signal });
      await queueLocalVectors(emily, r.user.id);
      return { profileId: r.user.id, counts: importCounts(r) };
    },
    async replaceWithDump(userId, file, progress, signal) {
      const live = await emily.catalog.get(userId);
      const r = await importDump(emily, file, { name: live.displayName, replace: live, onProgress: toProgress(progress), signal });
      // An unfinished swap holds the profile (BUSY) until it is finished; the answer says so.
      if (!r.unfinished) await queueLocalVectors(emily, r.user.id);
      return { counts: importCounts(r), previousBackup: r.previous ? backupView(r.previous) : null, ...(r.unfinished ? { unfinished: r.unfinished } : {}) };
    },
    async importChatHistory(userId, file, progress, signal) {
      const r = await importChatHistory(emily, userId, file, { onProgress: toProgress(progress), signal, learn: learnImported(emily) });
      return { counts: { conversations: r.conversations, turns: r.turnsInserted, alreadyThere: r.turnsAlreadyThere, learned: r.learned, skipped: r.problems.length } };
    },
    // One profile's, always: an empty id must not mean every profile's.
    listBackups: async (userId) => listBackups(emily, { userId: assertUserId(userId) }).map(backupView),
    backupNow: async (userId, progress, signal) => backupView(await createBackup(emily, userId, { kind: 'manual', onProgress: toProgress(progress), signal })),
    async restore(backupId, asName, progress, signal) {
      const r = await restoreBackup(emily, backupId, { as: asName, onProgress: toProgress(progress), signal });
      await queueLocalVectors(emily, r.user.id);
      return { profileId: r.user.id };
    },
    async restoreInPlace(userId, backupId, progress, signal) {
      // The caller has checked that the backup is this profile's (restoreBackup replaces the profile it was taken of).
      const r = await restoreBackup(emily, backupId, { replace: true, onProgress: toProgress(progress), signal });
      // As for replace: an unfinished swap holds the profile (BUSY) until it is finished.
      if (r.import.unfinished) return { unfinished: r.import.unfinished };
      await queueLocalVectors(emily, userId);
      return {};
    },
    async deleteBackups(userId) {
      removeUserBackups(emily, userId);
    },
  };
}
