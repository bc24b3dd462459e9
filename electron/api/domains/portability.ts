import { EmilyError, toWireError } from '../../core/errors.js';
import type { HandlerMap } from '../contract/define.js';
import { portabilityContract } from '../contract/portability.js';
import { currentProfile, type ApiDeps } from '../deps.js';
import type { PortabilityService, ProgressSink } from '../services.js';
import { profilesView, toProfileView } from './profiles.js';

/** Export, import, backups: files come as refs from dialogs/uploads, progress as events. */
export function portabilityHandlers(deps: ApiDeps, port: PortabilityService): HandlerMap<typeof portabilityContract> {
  const user = () => currentProfile(deps);
  const progress = (operationId: string): ProgressSink => (p) => deps.events.emit('progress', { operationId, ...p });
  const tracked = async <T>(operationId: string, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await deps.ops.run(operationId, parent, fn);
    } catch (e) {
      deps.events.emit('operation.failed', { operationId, error: toWireError(e) });
      throw e;
    }
  };
  const newProfile = async (profileId: string) => {
    const view = toProfileView(await deps.emily.catalog.get(profileId));
    deps.events.emit('profiles.changed', await profilesView(deps));
    return view;
  };
  return {
    'portability.export': async ({ operationId, file, format }, ctx) => {
      const userId = await user();
      const target = deps.files.get(file, 'write');
      const r = await tracked(operationId, ctx.signal, (signal) => port.exportProfile(userId, target.path, format, progress(operationId), signal));
      return { bytes: r.bytes, file: target.ref };
    },
    'portability.import': async ({ operationId, file, kind, name }, ctx) => {
      const source = deps.files.get(file, 'read');
      if (kind === 'dump') {
        const r = await tracked(operationId, ctx.signal, (signal) => port.importDump(source.path, name, progress(operationId), signal));
        return { profile: await newProfile(r.profileId), counts: r.counts };
      }
      const userId = await user();
      const r = await tracked(operationId, ctx.signal, (signal) => port.importChatHistory(userId, source.path, progress(operationId), signal));
      return { profile: null, counts: r.counts };
    },
    'portability.replace': async ({ operationId, file, confirmName }, ctx) => {
      const userId = await user();
      const me = await deps.emily.catalog.get(userId);
      if (confirmName !== me.displayName) {
        throw new EmilyError('BAD_INPUT', `replacing this Emily deletes everything she holds now; type the profile's name "${me.displayName}" exactly to confirm; nothing was changed`);
      }
      const source = deps.files.get(file, 'read');
      const r = await tracked(operationId, ctx.signal, (signal) => port.replaceWithDump(userId, source.path, progress(operationId), signal));
      deps.services.chat?.forget?.(userId);
      return { profile: await newProfile(userId), counts: r.counts, ...(r.previousBackup ? { previousBackup: r.previousBackup } : {}) };
    },
    'portability.backups': async () => port.listBackups(await user()),
    'portability.backupNow': async ({ operationId }, ctx) => {
      const userId = await user();
      return tracked(operationId, ctx.signal, (signal) => port.backupNow(userId, progress(operationId), signal));
    },
    'portability.restore': async ({ operationId, backupId, asName }, ctx) => {
      const r = await tracked(operationId, ctx.signal, (signal) => port.restore(backupId, asName, progress(operationId), signal));
      return newProfile(r.profileId);
    },
  };
}
