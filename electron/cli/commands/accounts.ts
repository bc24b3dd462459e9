import type { Command } from 'commander';
import { Accounts } from '../../server/accounts.js';
import { emit, table } from '../output.js';
import { withEmily } from '../session.js';
import type { Runner } from './users.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Server mode's accounts, for operators (and for servers started with --no-signup). */
export function registerAccounts(program: Command, run: Runner): void {
  const accounts = program.command('accounts').description('server mode: sign-in accounts (each owns one profile)');
  accounts
    .command('create <username>')
    .description('create an account and its profile; the password is read from stdin (never an argument)')
    .option('--json', 'print JSON')
    .action((username: string, opts: { json?: boolean }) =>
      run(opts, async () => {
        const password = await readStdin();
        await withEmily(async (emily) => {
          const a = await new Accounts(emily).create(username, password);
          emit(opts, a, () => `created account "${a.username}" with profile ${a.userId}`);
        });
      }),
    );
  accounts
    .command('list')
    .description('list accounts')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const list = await new Accounts(emily).list();
          emit(opts, list, () => (list.length ? table([['USERNAME', 'PROFILE', 'CREATED'], ...list.map((a) => [a.username, a.userId, a.createdAt.toISOString()])]) : 'no accounts yet'));
        }),
      ),
    );
}
