import type { AdminConnection } from '../cluster/cluster.js';
import { EmilyError, toEmilyError } from '../core/errors.js';
import { describeServer } from './serverConfig.js';

/**
 * PostgreSQL servers that hold user databases, by name. The embedded server is "local";
 * servers.json / EMILY_SERVERS may add external ones. The database name is the routing
 * key: a catalog row (server, db_name) is all it takes to reach a user.
 */
export interface ServerDirectory {
  names(): string[];
  admin(server: string): AdminConnection;
  /** The server holding the catalog (the embedded one unless it is turned off). */
  primary?(): string;
  kind?(server: string): ServerKind;
  /** Prepares a server once (template, spares, revoked defaults); rejects while unreachable. */
  ready?(server: string): Promise<ServerFacts>;
  /** What the last preparation found, without connecting. */
  state?(server: string): ServerState;
  /** A server that was ready stopped answering: prepare it again before trusting it. */
  markUnreachable?(server: string, error: string): void;
}

export type ServerKind = 'embedded' | 'external';

export interface ServerFacts {
  version: string;
  maxConnections: number;
  walLevel: string;
}

export type ServerState = { status: 'unknown' } | { status: 'ready'; facts: ServerFacts } | { status: 'unreachable'; error: string; at: number };

interface Entry {
  name: string;
  kind: ServerKind;
  admin: () => AdminConnection;
  state: ServerState;
  pending?: Promise<ServerFacts>;
}

/** A directory over several servers; `prepare` is what "ready" runs once per server. */
export class Servers implements ServerDirectory {
  private readonly entries = new Map<string, Entry>();

  constructor(
    list: { name: string; kind: ServerKind; admin: () => AdminConnection }[],
    private readonly prepare: (name: string, admin: AdminConnection) => Promise<ServerFacts>,
  ) {
    for (const s of list) this.entries.set(s.name, { ...s, state: { status: 'unknown' } });
    if (this.entries.size === 0) throw new EmilyError('BAD_INPUT', 'no database server is configured');
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  primary(): string {
    return this.names()[0]!;
  }

  kind(server: string): ServerKind {
    return this.entry(server).kind;
  }

  admin(server: string): AdminConnection {
    return this.entry(server).admin();
  }

  state(server: string): ServerState {
    return this.entry(server).state;
  }

  markUnreachable(server: string, error: string): void {
    this.entry(server).state = { status: 'unreachable', error, at: Date.now() };
  }

  ready(server: string): Promise<ServerFacts> {
    const e = this.entry(server);
    if (e.state.status === 'ready') return Promise.resolve(e.state.facts);
    e.pending ??= (async () => {
      try {
        const facts = await this.prepare(e.name, e.admin());
        e.state = { status: 'ready', facts };
        return facts;
      } catch (err) {
        const cause = toEmilyError(err);
        const wrapped = new EmilyError(cause.code, `database server "${e.name}" (${describeServer(e.admin())}) is not usable: ${cause.message}; check that it runs and that its URL in servers.json / EMILY_SERVERS is right`, { cause: err });
        e.state = { status: 'unreachable', error: wrapped.message, at: Date.now() };
        throw wrapped;
      } finally {
        e.pending = undefined;
      }
    })();
    return e.pending;
  }

  private entry(server: string): Entry {
    const e = this.entries.get(server);
    if (!e) throw new EmilyError('NOT_FOUND', `unknown database server "${String(server).slice(0, 40)}"; "emily servers list" shows the configured servers`);
    return e;
  }
}

export function singleServer(name: string, admin: () => AdminConnection): ServerDirectory {
  return {
    names: () => [name],
    admin: (server) => {
      if (server !== name) throw new EmilyError('NOT_FOUND', `unknown database server "${server}"`);
      return admin();
    },
  };
}
