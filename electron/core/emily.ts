import { EmilyError } from './errors.js';
import { EmbeddedCluster } from '../cluster/cluster.js';
import type { AdminConnection } from '../cluster/cluster.js';
import type { ClusterSecrets } from '../cluster/secrets.js';
import { ServerSupervisor } from '../cluster/supervisor.js';
import { Catalog } from '../databases/catalog.js';
import { recoverInterruptedMoves } from '../databases/moveRecovery.js';
import { finishInterruptedRestores } from '../databases/restoreSwap.js';
import { EMBEDDED_SERVER, loadServersConfig } from '../databases/serverConfig.js';
import { Servers, type ServerDirectory } from '../databases/servers.js';
import { prepareServer } from '../databases/serverSetup.js';
import { SpareKeepers } from '../databases/spares.js';
import { ensureTemplate, withSetupLock } from '../databases/template.js';
import { UserDatabases } from '../databases/userDatabases.js';
import { emilyHome } from './paths.js';

export interface EmilyOptions {
  home?: string;
  /** Server connections the user pools may hold on each server (default 60, capped at max_connections − 25). */
  budget?: number;
  perUserMax?: number;
  idleMs?: number;
  port?: number;
  maxConnections?: number;
  /** Pre-made template clones kept ready for new users on each server (default 2; EMILY_SPARE_DATABASES). */
  spareDatabases?: number;
}

const DEFAULT_BUDGET = 60;
/** Left free on every server for admin work, the catalog, replication and other processes. */
const RESERVED_CONNECTIONS = 25;

/**
 * The core, as the desktop app, the CLI, the HTTP server and the tests use it: the
 * embedded cluster (started or attached) and any external servers (servers.json,
 * EMILY_SERVERS), the catalog on the primary server, the templates and the user pools.
 */
export class Emily {
  private constructor(
    readonly home: string,
    readonly cluster: EmbeddedCluster,
    readonly catalog: Catalog,
    readonly servers: ServerDirectory,
    readonly users: UserDatabases,
    readonly spares: SpareKeepers,
    /** Brings the embedded server back if it dies while this core runs (none when Emily uses external servers only). */
    readonly supervisor: ServerSupervisor | undefined,
  ) {}

  static async open(opts: EmilyOptions = {}): Promise<Emily> {
    const home = opts.home ?? emilyHome();
    const config = loadServersConfig(home);
    const envPort = portFromEnv(process.env.EMILY_PG_PORT);
    const cluster = new EmbeddedCluster({ home, port: opts.port ?? envPort, maxConnections: opts.maxConnections });
    if (config.embedded) await cluster.start();
    try {
      const list = [
        ...(config.embedded ? [{ name: EMBEDDED_SERVER, kind: 'embedded' as const, admin: () => cluster.admin() }] : []),
        ...config.external.map((s) => ({ name: s.name, kind: 'external' as const, admin: () => s.admin })),
      ];
      const primaryName = list[0]!.name;
      const primary = list[0]!.admin;
      const catalog = new Catalog(primary);
      await withSetupLock(primary(), async () => {
        await catalog.ensure();
        await ensureTemplate(primary());
      });
      await catalog.registerServers(list);
      const servers = new Servers(list, (name, admin) => prepareServer(name, admin));
      // The primary must work; an unreachable external server only makes its users wait.
      await servers.ready(primaryName);
      await Promise.all(list.slice(1).map((s) => servers.ready(s.name).catch(() => undefined)));
      const budget = opts.budget ?? DEFAULT_BUDGET;
      const users = new UserDatabases({
        catalog,
        servers,
        secrets: cluster.secrets,
        budget,
        budgetFor: (server) => {
          const st = servers.state(server);
          const max = st.status === 'ready' ? st.facts.maxConnections : undefined;
          return max && max - RESERVED_CONNECTIONS < budget ? Math.max(1, max - RESERVED_CONNECTIONS) : budget;
        },
        perUserMax: opts.perUserMax,
        idleMs: opts.idleMs,
      });
      const envSpares = process.env.EMILY_SPARE_DATABASES ? Number(process.env.EMILY_SPARE_DATABASES) : undefined;
      const spares = new SpareKeepers((server) => servers.admin(server), opts.spareDatabases ?? envSpares ?? 2);
      for (const s of list) if (servers.state(s.name).status === 'ready') spares.kick(s.name);
      const emily = new Emily(home, cluster, catalog, servers, users, spares, config.embedded ? new ServerSupervisor(cluster).start() : undefined);
      // A restore's committed swap is finished first: the move repair would just mark its row ready.
      await finishInterruptedRestores(emily).catch(() => undefined);
      await recoverInterruptedMoves(emily).catch(() => undefined); // doctor reports what this could not finish
      return emily;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  get secrets(): ClusterSecrets {
    return this.cluster.secrets;
  }

  /** Superuser connection to the server holding the catalog. */
  primaryAdmin(): AdminConnection {
    return this.servers.admin(this.servers.primary?.() ?? this.servers.names()[0]!);
  }

  withUser: UserDatabases['withUser'] = (userId, fn) => this.users.withUser(userId, fn);
  withUserTransaction: UserDatabases['withUserTransaction'] = (userId, fn) => this.users.withUserTransaction(userId, fn);

  /** Closes the pools; stops the server only if this process started it (or when asked). */
  async close(opts: { stopServer?: boolean } = {}): Promise<void> {
    await this.supervisor?.stop();
    await this.spares.settle();
    await this.users.close();
    await this.catalog.close();
    if (opts.stopServer) await this.cluster.stop({ force: true });
    else if (opts.stopServer === undefined) await this.cluster.stopIfUnused();
    else this.cluster.detach();
  }
}

/** EMILY_PG_PORT, checked: a typo would otherwise reach the server as port NaN. */
function portFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n >= 1024 && n <= 65535)) throw new EmilyError('BAD_INPUT', `EMILY_PG_PORT must be a port number from 1024 to 65535, not "${value.slice(0, 20)}"; unset it to let Emily choose a free port`);
  return n;
}
