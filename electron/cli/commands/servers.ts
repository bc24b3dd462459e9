import type { Command } from 'commander';
import { moveUser } from '../../operations/moveUser.js';
import { listServers } from '../../operations/servers.js';
import { emit, table } from '../output.js';
import { withCancellable, withEmily } from '../session.js';
import type { Runner } from './users.js';

export function registerServers(program: Command, run: Runner): void {
  const servers = program.command('servers').description('the PostgreSQL servers that hold user databases (embedded "local" + servers.json / EMILY_SERVERS)');
  servers
    .command('list')
    .description('each server: reachable or not, users, connections')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const list = await listServers(emily);
          emit(opts, list, () =>
            table([
              ['NAME', 'KIND', 'ADDRESS', 'REACHABLE', 'USERS', 'CONNECTIONS', 'VERSION'],
              ...list.map((s) => [s.name + (s.primary ? ' (catalog)' : ''), s.kind, s.address, s.reachable ? 'yes' : `NO: ${s.error ?? ''}`, String(s.users), s.reachable ? `${s.connections}/${s.maxConnections}` : '-', s.version ?? '-']),
            ]),
          );
          if (list.some((s) => !s.reachable)) process.exitCode = 1;
        }),
      ),
    );
  program
    .command('move')
    .description("move a user's database to another server while everyone keeps working (logical replication, then a short switch)")
    .requiredOption('--user <id>', 'user id')
    .requiredOption('--to <server>', 'target server name')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; user: string; to: string }) =>
      run(opts, () =>
        withCancellable(async (emily, signal) => {
          const r = await moveUser(emily, opts.user, opts.to, { signal, progress: (m) => process.stderr.write(`move: ${m}\n`) });
          const rows = r.tables.reduce((n, t) => n + t.rows, 0);
          emit(opts, { ok: true, ...r }, () => `moved ${r.userId} from "${r.from}" to "${r.to}": ${rows} rows in ${r.tables.length} tables verified; unavailable for ${r.unavailableMs} ms, ${r.totalMs} ms in all`);
        }),
      ),
    );
}
