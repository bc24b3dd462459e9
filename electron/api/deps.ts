import type { Emily } from '../core/emily.js';
import { EmilyError } from '../core/errors.js';
import type { SecretStore } from '../secrets/secretStore.js';
import type { AppState } from './appState.js';
import type { EventBus } from './eventBus.js';
import type { FileRegistry } from './files.js';
import type { OperationRegistry } from './operations.js';
import type { Services } from './services.js';
import type { SettingsStore } from './settingsStore.js';

/** What the API domains share; built once by the composition root. */
export interface ApiDeps {
  emily: Emily;
  mode: 'desktop' | 'browser' | 'server';
  version: string;
  events: EventBus;
  ops: OperationRegistry;
  state: AppState;
  secrets: SecretStore;
  settings: SettingsStore;
  files: FileRegistry;
  services: Services;
  /** Server mode: this API serves one account's profile and nothing else. */
  scope?: AccountScope;
}

export interface AccountScope {
  /** The account's one profile (its own database and role). */
  userId: string;
  /** Deleting the own profile deletes the account: sessions, database, role, keys, backups. */
  deleteAccount(): Promise<void>;
  /** Lets profile settings name model servers on loopback or private networks (operator's choice). */
  allowPrivateUrls?: boolean;
}

/** The profile the app is on; every per-profile call works on it. */
export async function currentProfile(deps: ApiDeps): Promise<string> {
  // An account's API is bound to its profile; no state on disk can point it elsewhere.
  if (deps.scope) return deps.scope.userId;
  const id = deps.state.get().currentProfileId;
  if (!id) throw new EmilyError('NOT_FOUND', 'no profile is selected: create or choose one under Profiles');
  const user = await deps.emily.catalog.get(id).catch((e: unknown) => {
    if (e instanceof EmilyError && e.code === 'NOT_FOUND') {
      deps.state.update({ currentProfileId: null });
      throw new EmilyError('NOT_FOUND', 'the selected profile no longer exists: choose another under Profiles');
    }
    throw e;
  });
  if (user.status !== 'ready') throw new EmilyError('BUSY', `profile "${user.displayName}" is ${user.status}; wait a moment or run the health check`);
  return user.id;
}
