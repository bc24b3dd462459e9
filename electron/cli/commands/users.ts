import type { Command } from 'commander';
import { createUser, deleteUser, listUsers } from '../../operations/users.js';
import { emit, table } from '../output.js';
import { withEmily } from '../session.js';

export function registerUsers(program: Command, run: Runner): void {
  const users = program.command('users').description('create, list and delete user profiles (one database each)');
  users
    .command('create <name>')
    .description('create a user: its own database (pgvector + schema) and login role')
    .option('--server <name>', 'put the database on this server (default: the least loaded)')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean; server?: string }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const u = await createUser(emily, name, { server: opts.server });
          emit(opts, u, () => `created ${u.id}  "${u.displayName}"  database ${u.dbName} on server "${u.server}"`);
        }),
      ),
    );
  users
    .command('list')
    .description('list users')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const list = await listUsers(emily);
          emit(opts, list, () =>
            list.length ? table([['ID', 'NAME', 'DATABASE', 'SERVER', 'SCHEMA', 'CREATED'], ...list.map((u) => [u.id, u.displayName, u.dbName, u.server, String(u.schemaVersion), u.createdAt.toISOString()])]) : 'no users yet: "emily users create <name>"',
          );
        }),
      ),
    );
  users
    .command('delete <id>')
    .description("delete a user: drops their database and role, removes them from the catalog")
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const r = await deleteUser(emily, id);
          emit(opts, { ok: true, ...r }, () => `deleted ${r.id}: dropped database ${r.dropped.database} and role ${r.dropped.role}`);
        }),
      ),
    );
}

export type Runner = (opts: { json?: boolean }, fn: () => Promise<void>) => Promise<void>;
