import type { Emily } from '../core/emily.js';
import { deleteUser } from '../operations/users.js';
import { removeUserBackups } from './backups.js';

/**
 * Deletes a profile (database, role, catalog row) and, when asked, all its backups: one
 * action, nothing left behind. Backups go last, so a failed delete never leaves a live
 * profile without them.
 */
export async function deleteProfile(emily: Emily, userId: string, opts: { withBackups?: boolean } = {}): Promise<{ id: string; dropped: { database: string; role: string }; backupsRemoved: number }> {
  const r = await deleteUser(emily, userId);
  const backupsRemoved = opts.withBackups ? removeUserBackups(emily, r.id) : 0;
  return { ...r, backupsRemoved };
}
