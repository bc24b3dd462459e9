import { EmbeddedCluster } from '../cluster/cluster.js';
import { ServerSupervisor } from '../cluster/supervisor.js';
import { Catalog } from '../databases/catalog.js';
import { singleServer, type ServerDirectory } from '../databases/servers.js';
import { SpareKeeper } from '../databases/spares.js';
import { ensureTemplate, withSetupLock } from '../databases/template.js';
import { UserDatabases } from '../databases/userDatabases.js';
import { emilyHome } from './paths.js';

export interface EmilyOptions {
  home?: string;
  /** Server connections all user pools together may hold (default 40 of max_connections 100). */
  budget?: number;
  perUserMax?: number;
  idleMs?: number;
  port?: number;
  maxConnections?: number;
  /** Pre-made template clones kept ready for new users (default 2; EMILY_SPARE_DATABASES). */
  spareDatabases?: number;
}

/**
 * The core, as the desktop app, the CLI, the HTTP server and the tests use it: the
 * embedded cluster (started or attached), the catalog, the template and the user pools.
 */
export class Emily {
  private constructor(
    readonly home: string,
    readonly cluster: EmbeddedCluster,
    readonly catalog: Catalog,
    readonly servers: ServerDirectory,
    readonly users: UserDatabases,
    readonly spares: SpareKeeper,
    /** Brings the embedded server back if it dies while this core runs. */
    readonly supervisor: ServerSupervisor,
  ) {}

  static async open(opts: EmilyOptions = {}): Promise<Emily> {
    const home = opts.home ?? emilyHome();
    const envPort = process.env.EMILY_PG_PORT ? Number(process.env.EMILY_PG_PORT) : undefined;
    const cluster = new EmbeddedCluster({ home, port: opts.port ?? envPort, maxConnections: opts.maxConnections });
    await cluster.start();
    try {
      const admin = () => cluster.admin();
      const catalog = new Catalog(admin);
      await withSetupLock(admin(), async () => {
        await catalog.ensure();
        await ensureTemplate(admin());
      });
      const servers = singleServer('local', admin);
      const users = new UserDatabases({
        catalog,
        servers,
        secrets: cluster.secrets,
        budget: opts.budget ?? 40,
        perUserMax: opts.perUserMax,
        idleMs: opts.idleMs,
      });
      const envSpares = process.env.EMILY_SPARE_DATABASES ? Number(process.env.EMILY_SPARE_DATABASES) : undefined;
      const spares = new SpareKeeper(admin, opts.spareDatabases ?? envSpares ?? 2);
      spares.kick();
      return new Emily(home, cluster, catalog, servers, users, spares, new ServerSupervisor(cluster).start());
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  withUser: UserDatabases['withUser'] = (userId, fn) => this.users.withUser(userId, fn);
  withUserTransaction: UserDatabases['withUserTransaction'] = (userId, fn) => this.users.withUserTransaction(userId, fn);

  /** Closes the pools; stops the server only if this process started it (or when asked). */
  async close(opts: { stopServer?: boolean } = {}): Promise<void> {
    await this.supervisor.stop();
    await this.spares.settle();
    await this.users.close();
    await this.catalog.close();
    if (opts.stopServer ?? this.cluster.ownsServer) await this.cluster.stop({ force: true });
  }
}
