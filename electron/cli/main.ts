import { Command, CommanderError } from 'commander';
import { EmilyError } from '../core/errors.js';
import { registerAccounts } from './commands/accounts.js';
import { registerBench } from './commands/bench.js';
import { registerChat } from './commands/chat.js';
import { registerMaintenance } from './commands/maintenance.js';
import { registerMemory } from './commands/memory.js';
import { registerPortability } from './commands/portability.js';
import { registerServe } from './commands/serve.js';
import { registerServers } from './commands/servers.js';
import { registerUsers, type Runner } from './commands/users.js';
import { reportError } from './output.js';

/** The `emily` command: one module per command group. */
export function buildProgram(): Command {
  // exitOverride is inherited by every command added below: argument errors reach main().
  const program = new Command('emily').description("Emily: a companion whose mind lives in your own PostgreSQL database").showHelpAfterError().exitOverride();
  const run: Runner = async (opts, fn) => {
    try {
      await fn();
    } catch (e) {
      process.exitCode = reportError(opts, e);
    }
  };
  registerUsers(program, run);
  registerMaintenance(program, run);
  registerChat(program, run);
  registerBench(program, run);
  registerMemory(program, run);
  registerPortability(program, run);
  registerServe(program, run);
  registerServers(program, run);
  registerAccounts(program, run);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help and version are not errors; commander has already printed them.
    if (e.exitCode === 0) return;
    // Commander told the person on stderr; a --json caller gets one JSON document too.
    process.exitCode = reportError({ json: argv.includes('--json') }, new EmilyError('BAD_INPUT', e.message.replace(/^error: /, '')), { quiet: true });
  }
}
