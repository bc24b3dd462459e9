import type { AdminConnection } from '../cluster/cluster.js';
import { EmilyError } from '../core/errors.js';

/**
 * PostgreSQL servers that hold user databases, by name. The embedded server is "local";
 * server mode may add external ones. The database name is the routing key: a catalog row
 * (server, db_name) is all it takes to reach a user.
 */
export interface ServerDirectory {
  names(): string[];
  admin(server: string): AdminConnection;
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
