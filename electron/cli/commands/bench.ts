import type { Command } from 'commander';
import { benchLoad } from '../../bench/loadBench.js';
import { benchMove } from '../../bench/moveBench.js';
import { benchPool } from '../../bench/poolBench.js';
import { benchProvision } from '../../bench/provisionBench.js';
import { benchTurn } from '../../bench/turnBench.js';
import { positive } from '../output.js';
import { benchAction } from './benchAction.js';
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
    .action(benchAction(run, (opts: { json?: boolean; users: string; intervalMs: string }) => benchProvision({ users: Number(opts.users), intervalMs: Number(opts.intervalMs) })));
  bench
    .command('move')
    .description("move one user with N memories to a second scratch server while a writer keeps writing for them")
    .option('--memories <n>', 'L3 memories (and as many L4 turns)', '3000')
    .option('--json', 'print JSON')
    .action(benchAction(run, (opts: { json?: boolean; memories: string }) => benchMove({ memories: Number(opts.memories) })));
  bench
    .command('pool')
    .description('600 user databases, concurrent short queries, at most 60 server connections')
    .option('--users <n>', 'user databases', '600')
    .option('--budget <n>', 'connection budget', '60')
    .option('--seconds <n>', 'how long to drive the load', '20')
    .option('--think-ms <n>', "mean pause between one user's queries", '5000')
    .option('--json', 'print JSON')
    .action(benchAction(run, (opts: { json?: boolean; users: string; budget: string; seconds: string; thinkMs: string }) => benchPool({ users: Number(opts.users), budget: Number(opts.budget), seconds: Number(opts.seconds), thinkMs: Number(opts.thinkMs) })));
  bench
    .command('turn')
    .description('chat turn overhead without the language model, on a well-used Emily (16,000 L3 + 25,000 L4)')
    .option('--turns <n>', 'turns to time', '200')
    .option('--json', 'print JSON')
    .action(benchAction(run, (opts: { json?: boolean; turns: string }) => benchTurn({ turns: Number(opts.turns) })));
  bench
    .command('load')
    .description('server mode under load: N accounts, M concurrent HTTP clients doing chat turns (instant model) and memory searches')
    .option('--users <n>', 'accounts (each its own database and role)', '600')
    .option('--concurrency <n>', 'concurrent clients (default: twice the CPU cores, a server kept busy rather than flooded)')
    .option('--seconds <n>', 'how long to drive the load', '30')
    .option('--requests <n>', 'stop after this many requests instead')
    .option('--budget <n>', 'server connections all user pools may hold', '56')
    .option('--no-background', 'without the background job runner that server mode runs')
    .option('--json', 'print JSON')
    .action(benchAction(run, (opts: { json?: boolean; users: string; concurrency?: string; seconds: string; requests?: string; budget: string; background: boolean }) => benchLoad({ users: positive(opts.users, '--users'), concurrency: opts.concurrency === undefined ? undefined : positive(opts.concurrency, '--concurrency'), seconds: positive(opts.seconds, '--seconds'), requests: opts.requests === undefined ? undefined : positive(opts.requests, '--requests'), budget: positive(opts.budget, '--budget'), background: opts.background })));
  return bench;
}

