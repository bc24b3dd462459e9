import type { Command } from 'commander';
import { benchMove } from '../../bench/moveBench.js';
import { benchPool } from '../../bench/poolBench.js';
import { benchProvision } from '../../bench/provisionBench.js';
import { benchTurn } from '../../bench/turnBench.js';
import { emit } from '../output.js';
import type { Runner } from './users.js';

/** Benchmarks print JSON figures; they run in a scratch data folder and clean up. */
export function registerBench(program: Command, run: Runner): Command {
  const bench = program.command('bench').description('measure Emily (scratch data folder; prints JSON figures)');
  bench
    .command('provision')
    .description('time "new user ready": database + pgvector + schema')
    .option('--users <n>', 'users to create', '30')
    .option('--interval-ms <n>', 'pause between new users (spares refill meanwhile)', '1000')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; users: string; intervalMs: string }) =>
      run(opts, async () => {
        const r = await benchProvision({ users: Number(opts.users), intervalMs: Number(opts.intervalMs) });
        emit({ json: true }, r, () => '');
      }),
    );
  bench
    .command('move')
    .description("move one user with N memories to a second scratch server while a writer keeps writing for them")
    .option('--memories <n>', 'L3 memories (and as many L4 turns)', '3000')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; memories: string }) =>
      run(opts, async () => {
        const r = await benchMove({ memories: Number(opts.memories) });
        emit({ json: true }, r, () => '');
      }),
    );
  bench
    .command('pool')
    .description('600 user databases, concurrent short queries, at most 60 server connections')
    .option('--users <n>', 'user databases', '600')
    .option('--budget <n>', 'connection budget', '60')
    .option('--seconds <n>', 'how long to drive the load', '20')
    .option('--think-ms <n>', "mean pause between one user's queries", '5000')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; users: string; budget: string; seconds: string; thinkMs: string }) =>
      run(opts, async () => {
        const r = await benchPool({ users: Number(opts.users), budget: Number(opts.budget), seconds: Number(opts.seconds), thinkMs: Number(opts.thinkMs) });
        emit({ json: true }, r, () => '');
      }),
    );
  bench
    .command('turn')
    .description('chat turn overhead without the language model, on a well-used Emily (16,000 L3 + 25,000 L4)')
    .option('--turns <n>', 'turns to time', '200')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean; turns: string }) =>
      run(opts, async () => {
        const r = await benchTurn({ turns: Number(opts.turns) });
        emit({ json: true }, r, () => '');
      }),
    );
  return bench;
}
