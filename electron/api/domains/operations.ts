import fs from 'node:fs';
import type { HandlerMap } from '../contract/define.js';
import { operationsContract } from '../contract/core.js';
import type { ApiDeps } from '../deps.js';

export function operationsHandlers(deps: ApiDeps): HandlerMap<typeof operationsContract> {
  return {
    'operations.cancel': async ({ operationId }) => ({ cancelled: deps.ops.cancel(operationId) }),
    'files.exportTarget': async ({ suggestedName }) => {
      const e = deps.files.scratchFile('write', suggestedName);
      return { file: e.ref, name: e.name };
    },
    'files.describe': async ({ file }) => {
      const e = deps.files.get(file);
      const bytes = fs.existsSync(e.path) ? fs.statSync(e.path).size : null;
      return { file: e.ref, name: e.name, bytes };
    },
  };
}
