import type { Command } from 'commander';
import { doctorAll } from '../../operations/doctorAll.js';
import { migrateAll } from '../../operations/migrateAll.js';
import { statsAllUsers } from '../../operations/stats.js';
import { databaseProgress, emit, positive, table } from '../output.js';
import { withEmily } from '../session.js';
import type { Runner } from './users.js';

export function registerMaintenance(program: Command, run: Runner): void {
  program
    .command('migrate')
    .description('migrate the template and every user database; one line per database')
    .option('--concurrency <n>', 'databases at once', '4')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; concurrency: string }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const r = await migrateAll(emily, { concurrency: positive(opts.concurrency, '--concurrency'), onEach: databaseProgress('migrated') });
          emit(opts, r, () =>
            [
              `template: ${r.template.ok ? `ok (version ${r.template.version})` : `FAILED ${r.template.error}`}`,
              ...r.users.map((u) => `${u.userId} "${u.displayName}": ${u.ok ? (u.value!.applied.length ? `migrated ${u.value!.from} -> ${u.value!.to}` : `up to date (${u.value!.to})`) : `FAILED ${u.error!.message}`}`),
              `${r.users.length} user database(s), ${r.failed} failed`,
            ].join('\n'),
          );
          if (r.failed) process.exitCode = 1;
        }),
      ),
    );
  program
    .command('doctor')
    .description('check the server, the template and every user database (vector extension, schema, indexes)')
    .option('--repair', 'fix what can be fixed')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; repair?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const r = await doctorAll(emily, { repair: !!opts.repair, onEach: databaseProgress('checked') });
          emit(opts, r, () => {
            const lines = [
              ...r.servers.map((s) =>
                s.check
                  ? `server "${s.name}": PostgreSQL ${s.check.version}, pgvector ${s.check.vectorAvailable ?? 'NOT AVAILABLE'}, ${s.check.connections}/${s.check.maxConnections} connections; template ${s.template!.ok ? 'ok' : s.template!.unrepaired.join('; ')}${s.template!.repaired.length ? ` (repaired: ${s.template!.repaired.join('; ')})` : ''}`
                  : `server "${s.name}": UNREACHABLE ${s.error}`,
              ),
              ...r.moves.map((m) =>
                m.running
                  ? `a move or replace of ${m.userId} is in progress (another Emily process holds it): left alone`
                  : `interrupted move of ${m.userId} left ${m.found.join(', ')}: ${m.repaired ? 'cleaned up' : (m.error ?? 'run "emily doctor --repair" to clean up')}`,
              ),
              ...r.debris.map((d) => `interrupted ${d.status} of ${d.id}: ${d.repaired ? 'cleaned up' : 'run "emily doctor --repair" to clean up'}`),
              ...r.orphanDatabases.map((d) => `database ${d} has no catalog entry (left alone; it may hold data)`),
              ...r.finishedRestores.map((id) => `${id}: finished an interrupted restore --replace`),
              ...r.users.map((u) => {
                const c = u.value;
                if (!c) return `${u.userId} "${u.displayName}": FAILED ${u.error!.message}`;
                const parts = [c.ok ? 'ok' : `NOT OK: ${c.unrepaired.join('; ')}`];
                if (c.repaired.length) parts.push(`repaired: ${c.repaired.join('; ')}`);
                return `${u.userId} "${u.displayName}": ${parts.join(' | ')}`;
              }),
              r.ok ? 'all good' : 'problems remain',
            ];
            return lines.join('\n');
          });
          if (!r.ok) process.exitCode = 1;
        }),
      ),
    );
  program
    .command('stats')
    .description('memory counts, aggregated by iterating over user databases')
    .option('--all-users', 'over every user database (what stats always counts; the flag says so in scripts)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; allUsers?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const r = await statsAllUsers(emily, { onEach: databaseProgress('counted') });
          emit(opts, r, () =>
            [
              table([['USER', 'L3', 'L4', 'CONVERSATIONS'], ...r.perUser.map((u) => [u.userId, String(u.value?.l3 ?? '-'), String(u.value?.l4 ?? '-'), String(u.value?.conversations ?? '-')])]),
              `total over ${r.users} users: ${r.totals.l3} L3 memories, ${r.totals.l4} L4 turns${r.failed ? `, ${r.failed} failed` : ''}`,
            ].join('\n'),
          );
          // Totals that leave users out are not the totals: say so in the exit code too.
          if (r.failed) process.exitCode = 1;
        }),
      ),
    );
}
