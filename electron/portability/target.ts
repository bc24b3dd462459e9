import { rolePassword } from '../cluster/secrets.js';
import type { Emily } from '../core/emily.js';
import type { UserRecord } from '../databases/catalog.js';
import type { ToolTarget } from './pgTools.js';

/** How a client tool reaches a user's database: as that user's own role, never as the superuser. */
export function userToolTarget(emily: Emily, user: Pick<UserRecord, 'server' | 'dbName' | 'roleName'>): ToolTarget {
  const admin = emily.servers.admin(user.server);
  return { host: admin.host, port: admin.port, user: user.roleName, password: rolePassword(emily.cluster.secrets, user.roleName), database: user.dbName, ...(admin.tls ? { tls: admin.tls } : {}) };
}
