import { createLanguageModel } from './factory.js';
import type { LanguageModel } from './types.js';

/** A profile's model settings as the settings store resolves them (key from the key store). */
export interface StoredModelSettings {
  provider: 'none' | 'openai-compatible' | 'anthropic' | 'local-gguf';
  model: string;
  baseUrl: string;
  temperature: number;
  apiKey: string | null;
}

/** The profile's model, or undefined for "no model: answer from memory". */
export function modelFromSettings(s: StoredModelSettings): LanguageModel | undefined {
  if (s.provider === 'none' || !s.model) return undefined;
  if (s.provider === 'local-gguf') return createLanguageModel({ provider: 'local-gguf', model: s.model, modelPath: s.model }, undefined);
  return createLanguageModel({ provider: s.provider, model: s.model, baseUrl: s.baseUrl || undefined, temperature: s.temperature }, s.apiKey ?? undefined);
}
