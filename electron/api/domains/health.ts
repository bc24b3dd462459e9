import { doctorAll } from '../../operations/doctorAll.js';
import type { HandlerMap } from '../contract/define.js';
import { healthContract } from '../contract/core.js';
import type { ApiDeps } from '../deps.js';

/** The doctor, as the health page shows it; repair is the same run with --repair. */
export function healthHandlers(deps: ApiDeps): HandlerMap<typeof healthContract> {
  return {
    'health.report': () => doctorAll(deps.emily, { repair: false }),
    'health.repair': () => doctorAll(deps.emily, { repair: true }),
  };
}
