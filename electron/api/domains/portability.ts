import { EmilyError, toWireError } from '../../core/errors.js';
import type { HandlerMap } from '../contract/define.js';
import { portabilityContract } from '../contract/portability.js';
import { currentProfile, type ApiDeps } from '../deps.js';
import type { PortabilityService, ProgressSink } from '../services.js';
import { nameFromFile } from '../../portability/fileName.js';
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
  /** What puts another Emily in place of this profile's asks for its name, typed. */
  const confirmed = async (userId: string, typed: string | undefined, what: string) => {
    const me = await deps.emily.catalog.get(userId);
    if (typed !== me.displayName) throw new EmilyError('BAD_INPUT', `${what} replaces everything the profile holds now (it is kept as a backup); type its name "${me.displayName}" exactly to confirm; nothing was changed`);
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
        // An upload's scratch file carries a random prefix: the name comes from the file the user chose.
        const r = await tracked(operationId, ctx.signal, (signal) => port.importDump(source.path, name ?? nameFromFile(source.name), progress(operationId), signal));
        return { profile: await newProfile(r.profileId), counts: r.counts };
      }
      const userId = await user();
      const r = await tracked(operationId, ctx.signal, (signal) => port.importChatHistory(userId, source.path, progress(operationId), signal));
      return { profile: null, counts: r.counts };
    },
    'portability.replace': async ({ operationId, file, confirmName }, ctx) => {
      const userId = await user();
      await confirmed(userId, confirmName, 'replacing this Emily');
      const source = deps.files.get(file, 'read');
      const r = await tracked(operationId, ctx.signal, (signal) => port.replaceWithDump(userId, source.path, progress(operationId), signal));
      deps.services.chat?.forget?.(userId);
      return { profile: await newProfile(userId), counts: r.counts, ...(r.previousBackup ? { previousBackup: r.previousBackup } : {}), ...(r.unfinished ? { unfinished: r.unfinished } : {}) };
    },
    'portability.backups': async () => port.listBackups(await user()),
    'portability.backupNow': async ({ operationId }, ctx) => {
      const userId = await user();
      return tracked(operationId, ctx.signal, (signal) => port.backupNow(userId, progress(operationId), signal));
    },
    'portability.restore': async ({ operationId, backupId, asName, inPlace, confirmName }, ctx) => {
      if (!inPlace) {
        const r = await tracked(operationId, ctx.signal, (signal) => port.restore(backupId, asName, progress(operationId), signal));
        return newProfile(r.profileId);
      }
      const userId = await user();
      // Only this profile's own backups; any other id is simply not among them.
      if (!(await port.listBackups(userId)).some((b) => b.id === backupId)) throw new EmilyError('NOT_FOUND', 'this profile has no such backup; "Your data" lists its backups');
      await confirmed(userId, confirmName, 'restoring a backup in place');
      const r = await tracked(operationId, ctx.signal, (signal) => port.restoreInPlace(userId, backupId, progress(operationId), signal));
      deps.services.chat?.forget?.(userId);
      return { ...(await newProfile(userId)), ...(r.unfinished ? { unfinished: r.unfinished } : {}) };
    },
  };
}
