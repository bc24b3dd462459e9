import type { Command } from 'commander';
import { learnFromExchange, recall, resolveEmbedder } from '../../cognition/index.js';
import { assertUserId } from '../../core/ids.js';
import { emit, table } from '../output.js';
import { withEmily } from '../session.js';
import type { Runner } from './users.js';

const apiKey = () => process.env.EMILY_EMBEDDING_API_KEY;

/** emily remember / recall, and the memory benchmarks. */
export function registerMemory(program: Command, run: Runner): void {
  program
    .command('remember <text>')
    .description('tell Emily something to remember (runs the learning cycle)')
    .requiredOption('--user <id>', 'user id (see "emily users list")')
    .option('--json', 'print JSON')
    .action((text: string, opts: { user: string; json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const userId = assertUserId(opts.user);
          const embedder = await resolveEmbedder(emily, userId, { apiKey: apiKey() });
          const explicit = /^\s*(please\s+)?remember\b/i.test(text) ? text : `Remember that ${text}`;
          const r = await learnFromExchange(emily, userId, { userText: explicit, source: 'cli' }, { embedder });
          emit(opts, r, () =>
            r.candidates.length
              ? r.candidates.map((c) => `${c.decision.padEnd(10)} ${c.memoryId ?? '-'}  ${c.content}${c.reason ? `  (${c.reason})` : ''}`).join('\n')
              : 'nothing to remember in that (kept in the archive, turn ' + r.userTurnId + ')',
          );
        }),
      ),
    );
  program
    .command('recall <query>')
    .description('ask Emily what she remembers (results with score components and provenance)')
    .requiredOption('--user <id>', 'user id (see "emily users list")')
    .option('--k <n>', 'how many results', '8')
    .option('--json', 'print JSON')
    .action((query: string, opts: { user: string; k: string; json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const userId = assertUserId(opts.user);
          const embedder = await resolveEmbedder(emily, userId, { apiKey: apiKey() });
          const r = await recall(emily, userId, query, { k: Number(opts.k), embedder, record: { turnId: null } });
          emit(opts, r, () =>
            r.results.length
              ? table([
                  ['TIER', 'ID', 'SCORE', 'SIM', 'TEXT', 'ECGL', 'RECENCY', 'CONTENT'],
                  ...r.results.map((x) => [x.tier, String(x.id), x.score.toFixed(3), x.components.similarity.toFixed(2), x.components.text.toFixed(2), x.components.ecgl.toFixed(2), x.components.recency.toFixed(2), x.content.slice(0, 80)]),
                ])
              : 'nothing comes to mind',
          );
        }),
      ),
    );
}

