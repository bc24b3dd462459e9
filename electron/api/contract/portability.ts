import { z } from 'zod';
import { method } from './define.js';
import { empty, fileRef, operationId } from './shared.js';
import type { BackupView, ExportResult, ImportResult, ProfileView } from './views.js';

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
  'portability.restore': method<ProfileView>()(z.object({ operationId, backupId: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/), asName: z.string().trim().min(1).max(100).optional() }).strict()),
};
