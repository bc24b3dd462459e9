import { rolePassword } from '../cluster/secrets.js';
import type { Emily } from '../core/emily.js';
import type { UserRecord } from '../databases/catalog.js';
import type { ToolTarget } from './pgTools.js';

/** How a client tool reaches a user's database: as that user's own role, never as the superuser. */
export function userToolTarget(emily: Emily, user: Pick<UserRecord, 'server' | 'dbName' | 'roleName'>): ToolTarget {
  const admin = emily.servers.admin(user.server);
  return { host: admin.host, port: admin.port, user: user.roleName, password: rolePassword(emily.cluster.secrets, user.roleName), database: user.dbName, ...(admin.tls ? { tls: admin.tls } : {}) };
}

/**
 * How pg_dump reaches a profile frozen for a replace, whose role may not log in: as the
 * server's superuser, becoming the user's role at once (pg_dump --role, which the caller
 * adds), so the dump is made with the user's own privileges, as userToolTarget's would be.
 * Nothing else runs as that role meanwhile: the freeze ended its sessions.
 */
export function frozenDumpTarget(emily: Emily, user: Pick<UserRecord, 'server' | 'dbName'>): ToolTarget {
  const admin = emily.servers.admin(user.server);
  return { host: admin.host, port: admin.port, user: admin.user, password: admin.password, database: user.dbName, ...(admin.tls ? { tls: admin.tls } : {}) };
}
