import path from 'node:path';
import readline from 'node:readline';
import type { Command } from 'commander';
import { SettingsStore } from '../../api/settingsStore.js';
import { ChatEngine, type TurnOutcome } from '../../chat/chatEngine.js';
import type { Emily } from '../../core/emily.js';
import { modelFromSettings } from '../../providers/llm/fromSettings.js';
import { FileSecretStore } from '../../secrets/secretStore.js';
import { EmilyError } from '../../core/errors.js';
import { assertUserId } from '../../core/ids.js';
import { createLanguageModel } from '../../providers/llm/factory.js';
import { PROVIDER_KINDS, type LanguageModel, type ProviderKind } from '../../providers/llm/types.js';
import { emit } from '../output.js';
import { withEmily } from '../session.js';
import type { Runner } from './users.js';

interface ChatOptions {
  user: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  conversation?: string;
  json?: boolean;
}

/** `emily chat`: interactive in a terminal, one-shot with the message on stdin. */
export function registerChat(program: Command, run: Runner): void {
  program
    .command('chat')
    .description('chat with Emily (interactive in a terminal; one-shot with the message on stdin)')
    .requiredOption('--user <id>', 'whose Emily')
    .option('--provider <kind>', `language model: ${PROVIDER_KINDS.join(' | ')} (default: the profile's settings; none answers from memory)`)
    .option('--model <name>', 'model name, e.g. llama3.1:8b')
    .option('--base-url <url>', 'server address, e.g. http://127.0.0.1:11434/v1')
    .option('--conversation <id>', 'continue a conversation')
    .option('--json', 'print the reply, the memories used and timings as JSON (one-shot)')
    .addHelpText('after', '\nAPI keys are read from the EMILY_API_KEY environment variable, never from the command line.')
    .action((opts: ChatOptions) =>
      run(opts, () =>
        withEmily(async (emily) => {
          const userId = assertUserId(opts.user);
          await emily.catalog.get(userId);
          const model = opts.provider ? modelFromFlags(opts) : await modelFromProfile(emily, userId);
          const engine = new ChatEngine(emily);
          const conversationId = opts.conversation ? Number(opts.conversation) : undefined;
          if (process.stdin.isTTY && !opts.json) await interactive(engine, userId, model, conversationId);
          else await oneShot(engine, userId, model, conversationId, opts);
        }),
      ),
    );
}

/** Without --provider: the profile's own settings (as the app saved them); EMILY_API_KEY wins. */
async function modelFromProfile(emily: Emily, userId: string): Promise<LanguageModel | undefined> {
  const secrets = new FileSecretStore(path.join(emily.home, 'desktop-secrets.json'));
  const keyless = { get: async () => null, set: async () => undefined, delete: async () => undefined, deletePrefix: async () => undefined };
  let resolved;
  try {
    resolved = (await new SettingsStore(emily, secrets).resolved(userId)).languageModel;
  } catch {
    // The key store belongs to the desktop app (sealed by the OS keychain): settings without the key.
    resolved = (await new SettingsStore(emily, keyless).resolved(userId)).languageModel;
  }
  return modelFromSettings({ ...resolved, apiKey: process.env.EMILY_API_KEY ?? resolved.apiKey });
}

function modelFromFlags(opts: ChatOptions): LanguageModel | undefined {
  const provider = (opts.provider ?? 'none') as ProviderKind;
  if (!PROVIDER_KINDS.includes(provider)) throw new EmilyError('BAD_INPUT', `unknown provider "${opts.provider}"; choose one of ${PROVIDER_KINDS.join(', ')}`);
  return createLanguageModel({ provider, model: opts.model ?? '', baseUrl: opts.baseUrl }, process.env.EMILY_API_KEY);
}

async function oneShot(engine: ChatEngine, userId: string, model: LanguageModel | undefined, conversationId: number | undefined, opts: ChatOptions): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const out = await engine.send(userId, model, { text, conversationId }, opts.json ? {} : { token: (t) => process.stdout.write(t) });
  if (opts.json) emit(opts, summary(out), () => '');
  else {
    process.stdout.write('\n');
    // The reply is on stdout as it came; what went wrong with it goes to stderr.
    if (out.error) process.stderr.write(`emily: ${out.cut ? 'the reply above was cut short' : 'the language model failed, so Emily answered from memory'}: ${out.error.message}\n`);
  }
  // A script must be able to tell a cut or failed reply from a whole one (the reply and the turn are kept either way).
  if (out.error) process.exitCode = 1;
}

function summary(out: TurnOutcome) {
  return {
    conversationId: out.conversationId,
    reply: out.reply,
    mode: out.mode,
    model: out.model,
    cut: out.cut,
    error: out.error,
    memories: out.memories.map((m) => ({ tier: m.tier, id: m.id, content: m.content, score: m.score, components: m.components, via: m.via, provenance: m.provenance })),
    learned: out.learned,
    timings: out.timings,
  };
}

async function interactive(engine: ChatEngine, userId: string, model: LanguageModel | undefined, conversationId: number | undefined): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });
  process.stdout.write(`Chatting with Emily (${model ? model.id : 'no model: answering from memory'}). Ctrl-C cancels a reply, Ctrl-D quits.\n`);
  let conv = conversationId;
  let current: AbortController | undefined;
  rl.on('SIGINT', () => (current ? current.abort() : rl.close()));
  rl.prompt();
  for await (const line of rl) {
    if (!line.trim()) {
      rl.prompt();
      continue;
    }
    current = new AbortController();
    process.stdout.write('emily> ');
    try {
      const out = await engine.send(userId, model, { text: line, conversationId: conv }, { token: (t) => process.stdout.write(t) }, current.signal);
      conv = out.conversationId;
      const used = out.memories.filter((m) => m.tier === 'L3').length;
      process.stdout.write(`\n   [${out.mode === 'memory' ? 'from memory' : out.model}${out.cut ? ', cut short' : ''}${used ? `, ${used} memories used` : ''}${out.error ? `: ${out.error.message}` : ''}]\n`);
    } catch (e) {
      process.stdout.write(`\n   [error: ${(e as Error).message}]\n`);
    }
    current = undefined;
    rl.prompt();
  }
}
