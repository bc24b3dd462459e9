import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appVersion } from '../core/appRoot.js';
import type { Emily } from '../core/emily.js';
import { homeSecretStore, type SecretStore } from '../secrets/secretStore.js';
import { AppState } from './appState.js';
import { chatContract } from './contract/chat.js';
import { healthContract, operationsContract, profilesContract, settingsContract, systemContract } from './contract/core.js';
import { memoryContract } from './contract/memory.js';
import { portabilityContract } from './contract/portability.js';
import type { ApiDeps } from './deps.js';
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
  mode: 'desktop' | 'browser';
  /** Electron passes a safeStorage-sealed store; elsewhere a 0600 file in Emily's home. */
  secrets?: SecretStore;
  /** The memory engine, chat pipeline and portability, when this build has them. */
  services?: Services;
  /** Where the current profile and the background switch are remembered. */
  stateFile?: string;
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
    state: new AppState(opts.stateFile ?? path.join(home, 'desktop-state.json')),
    secrets,
    settings: new SettingsStore(opts.emily, secrets),
    files: new FileRegistry(fs.mkdtempSync(path.join(os.tmpdir(), 'emily-files-'))),
    services,
  };
  const d = new ApiDispatcher()
    .register(systemContract, systemHandlers(deps))
    .register(profilesContract, profilesHandlers(deps))
    .register(healthContract, healthHandlers(deps))
    .register(settingsContract, settingsHandlers(deps))
    .register(operationsContract, operationsHandlers(deps));
  if (services.memory) d.register(memoryContract, memoryHandlers(deps, services.memory));
  else d.markUnavailable('memory', 'the memory browser is not available in this build of Emily');
  if (services.chat) d.register(chatContract, chatHandlers(deps, services.chat));
  else d.markUnavailable('chat', 'chat is not available in this build of Emily');
  if (services.portability) d.register(portabilityContract, portabilityHandlers(deps, services.portability));
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
