import { EmilyError } from '../../core/errors.js';
import type { ApiContract } from '../contract/index.js';
import type { HandlerMap } from '../contract/define.js';
import type { AccountScope, ApiDeps } from '../deps.js';
import { isPrivateUrl } from '../privateAddress.js';
import { toProfileView } from './profiles.js';

type Handlers = Partial<HandlerMap<ApiContract>>;

const forbidden = (message: string) => async (): Promise<never> => {
  throw new EmilyError('FORBIDDEN', message);
};

/**
 * Server mode: what an account's API does differently. It serves the account's one profile
 * only; other profiles do not exist for it (every other id is FORBIDDEN, whether or not it
 * exists, so ids cannot be probed); operator-wide work (the doctor over every database,
 * the global background switch, new profiles from dumps or backups) is refused; nothing
 * names a path on the server's disk or a model file on it.
 */
export function accountOverrides(deps: ApiDeps, scope: AccountScope): (base: object) => Handlers {
  const own = async () => toProfileView(await deps.emily.catalog.get(scope.userId));
  const notYours = 'in server mode an account sees only its own profile';
  const overrides = (base: Handlers): Handlers => ({
    'system.info': async (input, ctx) => ({ ...(await base['system.info']!(input, ctx)), mode: 'server' as const, dataHome: '', pgdata: '', backups: '' }),
    'profiles.list': async () => ({ profiles: [await own()], currentId: scope.userId }),
    'profiles.create': forbidden('in server mode each account has exactly one profile; sign up for another account instead'),
    'profiles.switch': async ({ id }) => {
      if (id !== scope.userId) throw new EmilyError('FORBIDDEN', notYours);
      return own();
    },
    'profiles.delete': async ({ id, confirmName }) => {
      if (id !== scope.userId) throw new EmilyError('FORBIDDEN', notYours);
      const me = await own();
      if (confirmName !== me.name) throw new EmilyError('BAD_INPUT', `deleting your profile deletes your account; type its name "${me.name}" exactly to confirm; nothing was deleted`);
      await scope.deleteAccount();
      return { id: scope.userId };
    },
    'health.report': forbidden('the health check covers every account on this server; the operator runs "emily doctor"'),
    'health.repair': forbidden('repairs cover every account on this server; the operator runs "emily doctor --repair"'),
    'background.set': forbidden('background work is switched for the whole server by its operator'),
    'settings.update': async (patch, ctx) => {
      for (const part of [patch.languageModel, patch.embedding]) {
        if (part?.provider === 'local-gguf') throw new EmilyError('FORBIDDEN', 'in server mode a profile cannot use a model file on the server; choose an OpenAI-compatible or Anthropic server');
        if (part?.baseUrl && !scope.allowPrivateUrls && isPrivateUrl(part.baseUrl)) {
          throw new EmilyError('FORBIDDEN', 'this server does not reach model servers on its own machine or private network; use a public address (the operator can allow private ones)');
        }
      }
      return base['settings.update']!(patch, ctx);
    },
    'portability.import': async (input, ctx) => {
      if (input.kind === 'dump') throw new EmilyError('FORBIDDEN', 'in server mode a dump cannot become a new profile; import chat history into your own profile, or ask the operator');
      return base['portability.import']!(input, ctx);
    },
    'portability.restore': async (input, ctx) => {
      if (!input.inPlace) throw new EmilyError('FORBIDDEN', 'in server mode a backup cannot become a new profile; restore it in place of your profile instead');
      return base['portability.restore']!(input, ctx);
    },
  });
  return (base) => {
    const all = overrides(base as Handlers);
    return Object.fromEntries(Object.entries(all).filter(([name]) => name in base)) as Handlers;
  };
}
