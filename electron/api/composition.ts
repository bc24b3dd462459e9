import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appVersion } from '../core/appRoot.js';
import type { Emily } from '../core/emily.js';
import { homeSecretStore, type SecretStore } from '../secrets/secretStore.js';
import { AppState } from './appState.js';
import { chatContract } from './contract/chat.js';
import { healthContract, operationsContract, profilesContract, settingsContract, systemContract } from './contract/core.js';
import type { ContractShape, HandlerMap } from './contract/define.js';
import { memoryContract } from './contract/memory.js';
import { portabilityContract } from './contract/portability.js';
import type { AccountScope, ApiDeps } from './deps.js';
import { accountOverrides } from './domains/accountScope.js';
import { ApiDispatcher } from './dispatcher.js';
import { chatHandlers } from './domains/chat.js';
import { healthHandlers } from './domains/health.js';
import { memoryHandlers } from './domains/memory.js';
import { operationsHandlers } from './domains/operations.js';
import { portabilityHandlers } from './domains/portability.js';
import { profilesHandlers } from './domains/profiles.js';
import { settingsHandlers } from './domains/settings.js';
import { systemHandlers } from './domains/system.js';
import { EventBus } from './eventBus.js';
import { FileRegistry } from './files.js';
import { OperationRegistry } from './operations.js';
import type { Services } from './services.js';
import { SettingsStore } from './settingsStore.js';

export interface ApiOptions {
  emily: Emily;
  mode: 'desktop' | 'browser' | 'server';
  /** Electron passes a safeStorage-sealed store; elsewhere a 0600 file in Emily's home. */
  secrets?: SecretStore;
  /** The memory engine, chat pipeline and portability, when this build has them. */
  services?: Services;
  /** Where the current profile and the background switch are remembered. */
  stateFile?: string;
  /** Server mode: serve one account's profile only (see domains/accountScope.ts). */
  scope?: AccountScope;
  /** Where uploads and downloads of this API live until it closes (default: a temp folder). */
  scratchDir?: string;
}

export interface Api {
  dispatcher: ApiDispatcher;
  deps: ApiDeps;
  close(): void;
}

/** The composition root: registers each domain whose service exists in this build. */
export function createApi(opts: ApiOptions): Api {
  const home = opts.emily.home;
  const secrets = opts.secrets ?? homeSecretStore(home);
  const services = opts.services ?? {};
  const deps: ApiDeps = {
    emily: opts.emily,
    mode: opts.mode,
    version: appVersion(),
    events: new EventBus(),
    ops: new OperationRegistry(),
    state: opts.scope ? new AppState(null, { currentProfileId: opts.scope.userId }) : new AppState(opts.stateFile ?? path.join(home, 'desktop-state.json')),
    secrets,
    settings: new SettingsStore(opts.emily, secrets),
    files: new FileRegistry(opts.scratchDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'emily-files-'))),
    services,
    scope: opts.scope,
  };
  // Server mode replaces what an account may not do (other profiles, operator-wide switches).
  const scoped = opts.scope ? accountOverrides(deps, opts.scope) : undefined;
  const h = <C extends ContractShape>(base: HandlerMap<C>): HandlerMap<C> => (scoped ? ({ ...base, ...scoped(base) } as HandlerMap<C>) : base);
  const d = new ApiDispatcher()
    .register(systemContract, h(systemHandlers(deps)))
    .register(profilesContract, h(profilesHandlers(deps)))
    .register(healthContract, h(healthHandlers(deps)))
    .register(settingsContract, h(settingsHandlers(deps)))
    .register(operationsContract, h(operationsHandlers(deps)));
  if (services.memory) d.register(memoryContract, h(memoryHandlers(deps, services.memory)));
  else d.markUnavailable('memory', 'the memory browser is not available in this build of Emily');
  if (services.chat) d.register(chatContract, h(chatHandlers(deps, services.chat)));
  else d.markUnavailable('chat', 'chat is not available in this build of Emily');
  if (services.portability) d.register(portabilityContract, h(portabilityHandlers(deps, services.portability)));
  else d.markUnavailable('portability', 'export, import and backups are not available in this build of Emily');
  return {
    dispatcher: d,
    deps,
    close: () => {
      deps.ops.cancelAll();
      deps.files.cleanup();
    },
  };
}
