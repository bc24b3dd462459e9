import { serverUrl } from '../../core/serverUrl.js';
import { EmilyError } from '../../core/errors.js';
import { AnthropicModel } from './anthropic.js';
import { InstantModel } from './instant.js';
import { LocalGgufModel } from './localGguf.js';
import { OpenAICompatibleModel } from './openaiCompatible.js';
import type { LanguageModel, ModelSettings, TimeoutPolicy } from './types.js';

/** Builds the configured model; undefined means "no model": Emily answers from memory. */
export function createLanguageModel(settings: ModelSettings, apiKey: string | undefined, timeouts?: TimeoutPolicy): LanguageModel | undefined {
  switch (settings.provider) {
    case 'none':
      return undefined;
    case 'instant':
      return new InstantModel();
    case 'openai-compatible':
      if (!settings.baseUrl) throw new EmilyError('BAD_INPUT', 'an OpenAI-compatible model needs a base URL, e.g. http://127.0.0.1:11434/v1 for Ollama');
      return new OpenAICompatibleModel({ baseUrl: validUrl(settings.baseUrl), model: settings.model, apiKey, contextTokens: settings.contextTokens, timeouts });
    case 'anthropic':
      return new AnthropicModel({ apiKey: apiKey ?? '', model: settings.model, baseUrl: settings.baseUrl ? validUrl(settings.baseUrl) : undefined, contextTokens: settings.contextTokens, timeouts });
    case 'local-gguf':
      if (!settings.modelPath) throw new EmilyError('BAD_INPUT', 'a local model needs the path of a .gguf file');
      return new LocalGgufModel({ modelPath: settings.modelPath, contextTokens: settings.contextTokens });
  }
}

function validUrl(url: string): string {
  return serverUrl(url, 'model server').toString().replace(/\/$/, '');
}
