import { z } from 'zod';

/** Schema pieces several domains use. */
export const empty = z.object({}).strict();
/** Ids of rows in a user's database travel as decimal strings (bigint-safe). */
export const rowId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'expected a row id (decimal digits)');
export const profileId = z.string().regex(/^[a-z][a-z0-9]{11}$/, 'expected a profile id');
/** <profile id>/<time>-<kind>, as portability.backups lists them (and findBackup reads them). */
export const backupId = z.string().regex(/^[a-z][a-z0-9]{11}\/\d{8}T\d{9}Z-(?:scheduled|manual)$/, 'expected a backup id from the list of backups');
/** Client-chosen id that ties pushed events (tokens, progress) and cancel to one call. */
export const operationId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected an operation id (8-64 letters, digits, - or _)');
/** Opaque handle to a file chosen in a dialog or uploaded; never a path from the renderer. */
export const fileRef = z.string().regex(/^f_[A-Za-z0-9_-]{16,64}$/, 'expected a file reference from a file dialog');
