import { describe, expect, it } from 'vitest';
import { settingsContract } from '../../electron/api/contract/core.js';
import { OpenAIEmbedder } from '../../electron/embeddings/openaiEmbedder.js';
import { createLanguageModel } from '../../electron/providers/llm/factory.js';

const WITH_PASSWORD = 'http://someone:pw-secret-123@127.0.0.1:1/v1';

describe('a model or embedding server address with a user name or password in it', () => {
  it('is refused when the language model is made, without repeating the password', () => {
    let err: { code?: string; message?: string } | undefined;
    try {
      createLanguageModel({ provider: 'openai-compatible', model: 'x', baseUrl: WITH_PASSWORD }, undefined);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('API key') });
    expect(err!.message).not.toContain('pw-secret-123');
  });

  it('is refused for the embedding server too', () => {
    expect(() => new OpenAIEmbedder({ baseUrl: WITH_PASSWORD, model: 'e' })).toThrow(expect.objectContaining({ code: 'BAD_INPUT', message: expect.not.stringContaining('pw-secret-123') }));
  });

  it('is refused by the API before anything is stored; an address without one is taken', () => {
    const update = settingsContract['settings.update'].input;
    expect(update.safeParse({ languageModel: { baseUrl: WITH_PASSWORD } }).success).toBe(false);
    expect(update.safeParse({ embedding: { baseUrl: 'https://user@example.org/v1' } }).success).toBe(false);
    expect(update.safeParse({ languageModel: { baseUrl: 'http://127.0.0.1:11434/v1' } }).success).toBe(true);
  });
});
