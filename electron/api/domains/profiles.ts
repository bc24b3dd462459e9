import { EmilyError } from '../../core/errors.js';
import type { UserRecord } from '../../databases/catalog.js';
import { createUser, deleteUser, listUsers } from '../../operations/users.js';
import type { HandlerMap } from '../contract/define.js';
import { profilesContract } from '../contract/core.js';
import type { ProfilesView, ProfileView } from '../contract/views.js';
import type { ApiDeps } from '../deps.js';

export function toProfileView(u: UserRecord): ProfileView {
  return { id: u.id, name: u.displayName, createdAt: u.createdAt.toISOString(), schemaVersion: u.schemaVersion };
}

export async function profilesView(deps: ApiDeps): Promise<ProfilesView> {
  const users = await listUsers(deps.emily);
  let currentId = deps.state.get().currentProfileId;
  if (currentId && !users.some((u) => u.id === currentId)) currentId = deps.state.update({ currentProfileId: null }).currentProfileId;
  return { profiles: users.map(toProfileView), currentId };
}

/** Local profiles: each its own database and role (electron/operations/users.ts). */
export function profilesHandlers(deps: ApiDeps): HandlerMap<typeof profilesContract> {
  const changed = async () => deps.events.emit('profiles.changed', await profilesView(deps));
  return {
    'profiles.list': () => profilesView(deps),
    'profiles.create': async ({ name }) => {
      const u = await createUser(deps.emily, name);
      deps.state.update({ currentProfileId: u.id });
      await changed();
      return toProfileView(u);
    },
    'profiles.switch': async ({ id }) => {
      const u = await deps.emily.catalog.get(id);
      if (u.status !== 'ready') throw new EmilyError('BUSY', `profile "${u.displayName}" is ${u.status}; wait a moment or run the health check`);
      deps.state.update({ currentProfileId: u.id });
      await changed();
      return toProfileView(u);
    },
    'profiles.delete': async ({ id, confirmName }) => {
      const u = await deps.emily.catalog.get(id);
      if (confirmName !== u.displayName) {
        throw new EmilyError('BAD_INPUT', `to delete this profile, type its name "${u.displayName}" exactly; nothing was deleted`);
      }
      await deleteUser(deps.emily, u.id);
      await deps.secrets.deletePrefix(`${u.id}/`);
      if (deps.services.portability) await deps.services.portability.deleteBackups(u.id);
      if (deps.state.get().currentProfileId === u.id) deps.state.update({ currentProfileId: null });
      await changed();
      return { id: u.id };
    },
  };
}
