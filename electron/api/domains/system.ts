import { homeLayout } from '../../core/paths.js';
import type { HandlerMap } from '../contract/define.js';
import { systemContract } from '../contract/core.js';
import type { ApiDeps } from '../deps.js';

export function systemHandlers(deps: ApiDeps): HandlerMap<typeof systemContract> {
  return {
    'system.info': async () => {
      const layout = homeLayout(deps.emily.home);
      return {
        version: deps.version,
        mode: deps.mode,
        platform: process.platform,
        dataHome: layout.home,
        pgdata: layout.pgdata,
        backups: layout.backups,
        domains: { memory: !!deps.services.memory, chat: !!deps.services.chat, portability: !!deps.services.portability },
      };
    },
  };
}
