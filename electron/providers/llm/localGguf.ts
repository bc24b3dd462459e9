import fs from 'node:fs';
import { EmilyError } from '../../core/errors.js';
import { assertModelFilesAllowed } from '../modelFiles.js';
import type { ChatRequest, LanguageModel } from './types.js';

/**
 * A GGUF model run in-process with node-llama-cpp. The package is large (~725 MB with its
 * GPU variants), so it is optional: loaded only when the user points to a model file.
 */
export class LocalGgufModel implements LanguageModel {
  readonly id: string;
  private session: Promise<{ prompt: (text: string, opts: { onTextChunk: (t: string) => void; signal?: AbortSignal; temperature?: number; maxTokens?: number }) => Promise<string> }> | undefined;

  constructor(private readonly o: { modelPath: string; contextTokens?: number }) {
    this.id = `local-gguf:${o.modelPath.split(/[\\/]/).pop()}`;
  }

  get contextTokens(): number {
    return this.o.contextTokens ?? 4096;
  }

  private load() {
    assertModelFilesAllowed();
    this.session ??= (async () => {
      if (!fs.existsSync(this.o.modelPath)) throw new EmilyError('NOT_FOUND', `the model file ${this.o.modelPath} does not exist; choose a .gguf file in Settings`);
      let mod: Record<string, unknown>;
      try {
        const name = 'node-llama-cpp'; // not a static import: optional dependency
        mod = (await import(name)) as Record<string, unknown>;
      } catch (e) {
        throw new EmilyError('PROVIDER_ERROR', 'local GGUF models need the optional package node-llama-cpp: run "npm install node-llama-cpp" in the Emily folder', { cause: e });
      }
      const getLlama = mod.getLlama as () => Promise<{ loadModel: (o: { modelPath: string }) => Promise<{ createContext: (o: { contextSize: number }) => Promise<{ getSequence: () => unknown }> }> }>;
      const LlamaChatSession = mod.LlamaChatSession as new (o: { contextSequence: unknown }) => { prompt: (t: string, o: object) => Promise<string> };
      const llama = await getLlama();
      const model = await llama.loadModel({ modelPath: this.o.modelPath });
      const context = await model.createContext({ contextSize: this.contextTokens });
      return new LlamaChatSession({ contextSequence: context.getSequence() });
    })();
    return this.session;
  }

  async *stream(req: ChatRequest): AsyncIterable<string> {
    const session = await this.load();
    const chunks: string[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const prompt = req.messages.map((m) => `${m.role}: ${m.content}`).join('\n\n');
    session
      .prompt(prompt, { onTextChunk: (t) => (chunks.push(t), wake?.()), signal: req.signal, temperature: req.temperature, maxTokens: req.maxTokens })
      .catch((e: unknown) => (failure = e))
      .finally(() => ((done = true), wake?.()));
    while (!done || chunks.length) {
      if (chunks.length) yield chunks.shift()!;
      else await new Promise<void>((r) => (wake = r));
    }
    if (failure) throw new EmilyError(req.signal?.aborted ? 'CANCELLED' : 'PROVIDER_ERROR', `the local model failed: ${(failure as Error).message}`, { cause: failure });
  }

  async test(): Promise<{ ok: true; detail: string }> {
    await this.load();
    return { ok: true, detail: `loaded ${this.o.modelPath}` };
  }
}
