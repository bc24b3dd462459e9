import { z } from 'zod';
import { method } from './define.js';
import { backupId, empty, fileRef, operationId } from './shared.js';
import type { BackupView, ExportResult, ImportResult, RestoreResult } from './views.js';

export const portabilityContract = {
  /** Progress as `progress` events tagged with operationId; cancel with operations.cancel. */
  'portability.export': method<ExportResult>()(z.object({ operationId, file: fileRef, format: z.enum(['custom', 'plain']).default('custom') }).strict()),
  'portability.import': method<ImportResult>()(
    z.object({ operationId, file: fileRef, kind: z.enum(['dump', 'chat-history']), name: z.string().trim().min(1).max(100).optional() }).strict(),
  ),
  /**
   * Puts a dump's Emily in place of the current profile (same profile, its old memories
   * gone): checked and verified in a new database first; confirmName is the profile's name.
   */
  'portability.replace': method<ImportResult>()(z.object({ operationId, file: fileRef, confirmName: z.string().max(200) }).strict()),
  'portability.backups': method<BackupView[]>()(empty),
  'portability.backupNow': method<BackupView>()(z.object({ operationId }).strict()),
  /**
   * A backup as a new profile, or (inPlace) in place of the current profile, whose backup it
   * must be: what the profile holds now is kept as a backup first; confirmName is its name.
   */
  'portability.restore': method<RestoreResult>()(
    z
      .object({
        operationId,
        backupId,
        asName: z.string().trim().min(1).max(100).optional(),
        inPlace: z.boolean().default(false),
        confirmName: z.string().max(200).optional(),
      })
      .strict(),
  ),
};
