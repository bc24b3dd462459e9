import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createApi } from '../../api/composition.js';
import { defaultServices } from '../../api/wiring.js';
import { serverSecretStore } from '../../secrets/secretStore.js';
import { Emily } from '../../core/emily.js';
import { EmilyError } from '../../core/errors.js';
import { startBrowserServer } from '../../server/browserServer.js';
import { guardOutboundConnections } from '../../server/outboundGuard.js';
import { checkedProxies, MULTI_USER_BUDGET, startMultiUserServer } from '../../server/multiUserServer.js';
import { rendererDist } from '../../server/rendererDir.js';
import { emit } from '../output.js';
import type { Runner } from './users.js';

interface ServeOptions {
  port?: number;
  host?: string;
  json?: boolean;
  multiUser?: boolean;
  signup?: boolean;
  allowPrivateModelUrls?: boolean;
  secureCookies?: boolean;
  trustProxy?: string;
  publicHost?: string;
}

const untilStopped = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

/**
 * Browser mode: the core and the built renderer on 127.0.0.1, behind a per-launch token.
 * With --multi-user, server mode: accounts and sessions, each account its own profile.
 * Runs until Ctrl+C; stops the database server on the way out if it started it.
 */
export function registerServe(program: Command, run: Runner): void {
  program
    .command('serve')
    .description('browser mode: serve Emily on 127.0.0.1 and print the address to open (with its one-time token); --multi-user: server mode with accounts')
    .option('--port <n>', 'port to listen on (default: any free port)', (v) => Number.parseInt(v, 10))
    .option('--multi-user', 'server mode: many accounts, each with its own profile (database + role), signed in with a password')
    .option('--host <address>', 'server mode: address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)')
    .option('--no-signup', 'server mode: no sign-ups from the web; make accounts with "emily accounts create" (or EMILY_SIGNUP=0)')
    .option('--allow-private-model-urls', 'server mode: let profiles use model servers on this machine or its private network')
    .option('--secure-cookies', 'server mode: mark the session cookie Secure (serve behind HTTPS)')
    .option('--public-host <names>', 'server mode: comma-separated names the server is reached under besides its own addresses (the name a reverse proxy passes on in Host)')
    .option('--trust-proxy <addresses>', 'server mode: comma-separated addresses or ranges of the reverse proxies in front of Emily, whose X-Forwarded-For names the client (sign-in limits are per client then)')
    .option('--json', 'print the address as JSON')
    .action((opts: ServeOptions) =>
      run(opts, async () => {
        if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
          throw new EmilyError('BAD_INPUT', '--port must be a number between 0 and 65535');
        }
        if (!opts.multiUser && (opts.host !== undefined || opts.signup === false || opts.trustProxy !== undefined || opts.publicHost !== undefined)) throw new EmilyError('BAD_INPUT', '--host, --no-signup, --trust-proxy and --public-host belong to server mode: add --multi-user');
        const trustProxy = opts.trustProxy === undefined ? undefined : checkedProxies(opts.trustProxy.split(','));
        const dir = rendererDist();
        if (!fs.existsSync(path.join(dir, 'index.html'))) {
          throw new EmilyError('TOOL_MISSING', `the renderer is not built (${dir} is missing): run "npm run build:renderer", or start with "npm start", which builds it`);
        }
        if (opts.multiUser) return serveMultiUser(opts, dir, trustProxy);
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
        await untilStopped();
        await server.close();
        api.close();
        await services.shutdown?.();
        await emily.close();
      }),
    );
}

async function serveMultiUser(opts: ServeOptions, rendererDir: string, trustProxy: string[] | undefined): Promise<void> {
  const signup = opts.signup !== false && process.env.EMILY_SIGNUP !== '0';
  // Accounts name the model servers this process connects to: none on its own machine or network.
  if (!opts.allowPrivateModelUrls) guardOutboundConnections();
  // Many accounts share one PostgreSQL server: at most 60 connections for all user pools.
  const emily = await Emily.open({ budget: MULTI_USER_BUDGET });
  // The same key store for the settings the accounts save and the services that use them.
  const secrets = serverSecretStore(emily.home);
  const services = await defaultServices(emily, secrets);
  let server;
  try {
    server = await startMultiUserServer({ emily, services, secrets, rendererDir, host: opts.host, port: opts.port, signup, allowPrivateUrls: opts.allowPrivateModelUrls, secureCookies: opts.secureCookies, trustProxy, publicHosts: opts.publicHost?.split(',').map((h) => h.trim()).filter(Boolean) });
  } catch (e) {
    await services.shutdown?.();
    await emily.close();
    if ((e as { code?: string }).code === 'EADDRINUSE') throw new EmilyError('PORT_IN_USE', `port ${opts.port} is in use: pick another with --port, or leave it out`, { cause: e });
    throw e;
  }
  emit(opts, { url: server.url, port: server.port, dataHome: emily.home, signup }, () =>
    [`Emily is running in server mode (data: ${emily.home}); sign-ups are ${signup ? 'open' : 'closed ("emily accounts create" makes accounts)'}.`, '', `  ${server.url}`, '', 'Press Ctrl+C to stop.'].join('\n'),
  );
  await untilStopped();
  await server.close();
  await services.shutdown?.();
  await emily.close();
}
