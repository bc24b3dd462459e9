import fs from 'node:fs';
import path from 'node:path';
import { EmilyError } from '../core/errors.js';
import { assertModelFilesAllowed } from '../providers/modelFiles.js';
import { l2normalise, type Embedder } from './types.js';

/** The slice of node-llama-cpp's API we use (it is an optional, lazily loaded dependency). */
interface LlamaModule {
  getLlama(): Promise<{ loadModel(o: { modelPath: string }): Promise<LlamaModel> }>;
}
interface LlamaModel {
  createEmbeddingContext(): Promise<{ getEmbeddingFor(text: string): Promise<{ vector: readonly number[] }> }>;
}

type Importer = (name: string) => Promise<unknown>;
const defaultImporter: Importer = (name) => import(name);

/**
 * An in-process GGUF embedding model through node-llama-cpp. That package is ~725 MB, so
 * Emily does not depend on it: it is imported only when the user points at a model file.
 */
export class GgufEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatch = 16;
  private dims = 0;
  private ctx?: Promise<{ getEmbeddingFor(text: string): Promise<{ vector: readonly number[] }> }>;

  constructor(
    private readonly modelPath: string,
    private readonly importer: Importer = defaultImporter,
  ) {
    assertModelFilesAllowed();
    if (!modelPath.toLowerCase().endsWith('.gguf')) throw new EmilyError('BAD_INPUT', `"${modelPath}" is not a .gguf model file`);
    this.id = `gguf:${path.basename(modelPath)}`;
  }

  get dimensions(): number {
    return this.dims;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const ctx = await (this.ctx ??= this.open());
    const out: Float32Array[] = [];
    for (const t of texts) {
      const { vector } = await ctx.getEmbeddingFor(t);
      if (this.dims === 0) this.dims = vector.length;
      out.push(l2normalise(Float32Array.from(vector)));
    }
    return out;
  }

  private async open() {
    assertModelFilesAllowed();
    if (!fs.existsSync(this.modelPath)) throw new EmilyError('NOT_FOUND', `no model file at ${this.modelPath}; choose an existing .gguf file`);
    let mod: LlamaModule;
    try {
      mod = (await this.importer('node-llama-cpp')) as LlamaModule;
    } catch (e) {
      throw new EmilyError(
        'TOOL_MISSING',
        'in-process GGUF embeddings need the optional package node-llama-cpp, which is not installed; run "npm install node-llama-cpp" in the Emily folder, or use the built-in embedder or an OpenAI-compatible server',
        { cause: e },
      );
    }
    const llama = await mod.getLlama();
    const model = await llama.loadModel({ modelPath: this.modelPath });
    return model.createEmbeddingContext();
  }
}
