import type { Command } from 'commander';
import { benchQuality } from '../../bench/qualityBench.js';
import { benchRetrieval } from '../../bench/retrievalBench.js';
import { learnFromExchange, recall, resolveEmbedder } from '../../cognition/index.js';
import { cleanText, MAX_TURN_CHARS } from '../../cognition/text.js';
import { EmilyError } from '../../core/errors.js';
import { describeJob, listJobs } from '../../jobs/index.js';
import { assertUserId } from '../../core/ids.js';
import { emit, table } from '../output.js';
import { withEmily } from '../session.js';
import { HNSW_BUILTIN } from '../../embeddings/registry.js';
import { benchAction } from './benchAction.js';
import type { Runner } from './users.js';

const apiKey = () => process.env.EMILY_EMBEDDING_API_KEY;

/** emily remember / recall, and the memory benchmarks. */
export function registerMemory(program: Command, run: Runner): void {
  const bench = program.commands.find((c) => c.name() === 'bench');
  if (bench) registerMemoryBench(bench, run);
  program
    .command('remember <text>')
    .description('tell Emily something to remember (runs the learning cycle)')
    .requiredOption('--user <id>', 'user id (see "emily users list")')
    .option('--json', 'print JSON')
    .action((text: string, opts: { user: string; json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const userId = assertUserId(opts.user);
          // Checked before "Remember that" is put in front: an empty text would become the memory "That.".
          const said = cleanText(text, 'the text to remember', MAX_TURN_CHARS);
          if (!/[\p{L}\p{N}]/u.test(said)) throw new EmilyError('BAD_INPUT', 'the text to remember has no words in it; write what Emily should remember');
          const embedder = await resolveEmbedder(emily, userId, { apiKey: apiKey() });
          const explicit = /^\s*(please\s+)?remember\b/i.test(said) ? said : `Remember that ${said}`;
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
    .command('jobs')
    .description("a profile's background jobs (re-embedding, consolidation, self-correction) and their progress")
    .requiredOption('--user <id>', 'user id (see "emily users list")')
    .option('--active', 'only queued and running jobs')
    .option('--json', 'print JSON')
    .action((opts: { user: string; active?: boolean; json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const userId = assertUserId(opts.user);
          const jobs = (await emily.withUser(userId, (c) => listJobs(c, { active: opts.active ?? false, limit: 50 }))).map((j) => ({ ...j, message: describeJob(j) }));
          emit(opts, { jobs }, () =>
            jobs.length
              ? table([['ID', 'STATUS', 'PROGRESS', 'UPDATED', 'WHAT'], ...jobs.map((j) => [String(j.id), j.status, `${Math.round(j.progress * 100)}%`, j.updatedAt, j.message])])
              : 'no background jobs',
          );
        }),
      ),
    );
  program
    .command('recall <query>')
    .description('ask Emily what she remembers (results with score components and provenance)')
    .requiredOption('--user <id>', 'user id (see "emily users list")')
    .option('--k <n>', "how many results (default: the active framework's, 8 as shipped)")
    .option('--json', 'print JSON')
    .action((query: string, opts: { user: string; k: string; json?: boolean }) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const userId = assertUserId(opts.user);
          const embedder = await resolveEmbedder(emily, userId, { apiKey: apiKey() });
          const r = await recall(emily, userId, query, { k: opts.k === undefined ? undefined : Number(opts.k), embedder, record: { turnId: null } });
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

/** Adds `emily bench retrieval` and `emily bench quality` to the bench group. */
export function registerMemoryBench(bench: Command, run: Runner): void {
  bench
    .command('retrieval')
    .description('16,000 L3 + 25,000 L4 synthetic Emily: database-side retrieval p50/p95 and HNSW recall@10')
    .option('--l3 <n>', 'L3 memories', '16000')
    .option('--l4 <n>', 'L4 turns', '25000')
    .option('--queries <n>', 'queries to time', '300')
    .option('--ef-search <n>', `override the framework's efSearch (tuning; the built-in embedder's index is searched at ${HNSW_BUILTIN.searchWidth} of it)`)
    .option('--json', 'print JSON')
    .action(benchAction(run, (opts: { l3: string; l4: string; queries: string; efSearch?: string; json?: boolean }) => benchRetrieval({ l3: Number(opts.l3), l4: Number(opts.l4), queries: Number(opts.queries), efSearch: opts.efSearch ? Number(opts.efSearch) : undefined })));
  bench
    .command('quality')
    .description('retrieval quality (recall@k, MRR) of the built-in embedder, full-text search and the hybrid on a written corpus')
    .option('--weights <json>', 'try other reranking weights, e.g. {"similarity":0.6}')
    .option('--json', 'print JSON')
    .action(
      benchAction(run, async (opts: { json?: boolean; weights?: string }) => {
        let weights: Record<string, number> | undefined;
        try {
          weights = opts.weights ? (JSON.parse(opts.weights) as Record<string, number>) : undefined;
        } catch {
          throw new EmilyError('BAD_INPUT', '--weights must be JSON, e.g. {"similarity":0.6}');
        }
        return benchQuality({ weights });
      }),
    );
}
