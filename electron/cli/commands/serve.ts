import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createApi } from '../../api/composition.js';
import { defaultServices } from '../../api/wiring.js';
import { Emily } from '../../core/emily.js';
import { EmilyError } from '../../core/errors.js';
import { startBrowserServer } from '../../server/browserServer.js';
import { rendererDist } from '../../server/rendererDir.js';
import { emit } from '../output.js';
import type { Runner } from './users.js';

/**
 * Browser mode: the core and the built renderer on 127.0.0.1, behind a per-launch token.
 * Runs until Ctrl+C; stops the database server on the way out if it started it.
 */
export function registerServe(program: Command, run: Runner): void {
  program
    .command('serve')
    .description('browser mode: serve Emily on 127.0.0.1 and print the address to open (with its one-time token)')
    .option('--port <n>', 'port to listen on (default: any free port)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the address as JSON')
    .action((opts: { port?: number; json?: boolean }) =>
      run(opts, async () => {
        if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
          throw new EmilyError('BAD_INPUT', '--port must be a number between 0 and 65535');
        }
        const dir = rendererDist();
        if (!fs.existsSync(path.join(dir, 'index.html'))) {
          throw new EmilyError('TOOL_MISSING', `the renderer is not built (${dir} is missing): run "npm run build:renderer", or start with "npm start", which builds it`);
        }
        const emily = await Emily.open();
        const services = await defaultServices(emily);
        const api = createApi({ emily, mode: 'browser', services });
        let server;
        try {
          server = await startBrowserServer({ api, rendererDir: dir, port: opts.port });
        } catch (e) {
          api.close();
          await services.shutdown?.();
          await emily.close();
          if ((e as { code?: string }).code === 'EADDRINUSE') throw new EmilyError('PORT_IN_USE', `port ${opts.port} is in use: pick another with --port, or leave it out`, { cause: e });
          throw e;
        }
        emit(opts, { url: server.url, port: server.port, dataHome: emily.home }, () =>
          [`Emily is running in browser mode (data: ${emily.home}).`, `Open this address in your browser (it carries a one-time key; keep it private):`, '', `  ${server.url}`, '', 'Press Ctrl+C to stop.'].join('\n'),
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
        api.close();
        await services.shutdown?.();
        await emily.close();
      }),
    );
}
