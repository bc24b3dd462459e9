import type { Emily } from '../core/emily.js';
import type { SecretStore } from '../secrets/secretStore.js';
import type { UserSettings } from './contract/views.js';
import type { ResolvedEmbedding, ResolvedLanguageModel } from './services.js';

/** Keys in the user's `settings` table. API keys are not among them: they are secrets. */
const KEYS = {
  llmProvider: 'model.provider',
  llmModel: 'model.name',
  llmBaseUrl: 'model.base_url',
  llmTemperature: 'model.temperature',
  embProvider: 'embedding.provider',
  embModel: 'embedding.name',
  embBaseUrl: 'embedding.base_url',
} as const;

export const SECRET_LLM_KEY = 'model.api_key';
export const SECRET_EMBEDDING_KEY = 'embedding.api_key';

export type SettingsPatch = {
  languageModel?: Partial<Omit<ResolvedLanguageModel, 'apiKey'>> & { apiKey?: string | null };
  embedding?: Partial<Omit<ResolvedEmbedding, 'apiKey'>> & { apiKey?: string | null };
};

/** Per-user settings in the user's own database, keys in the secret store. */
export class SettingsStore {
  constructor(private readonly emily: Emily, private readonly secrets: SecretStore) {}

  async resolved(userId: string): Promise<{ languageModel: ResolvedLanguageModel; embedding: ResolvedEmbedding }> {
    const rows = await this.emily.withUser(userId, async (c) => (await c.query<{ key: string; value: unknown }>('SELECT key, value FROM settings WHERE key LIKE $1 OR key LIKE $2', ['model.%', 'embedding.%'])).rows);
    const v = new Map(rows.map((r) => [r.key, r.value]));
    const str = (k: string, d: string) => (typeof v.get(k) === 'string' ? (v.get(k) as string) : d);
    const num = (k: string, d: number) => (typeof v.get(k) === 'number' ? (v.get(k) as number) : d);
    return {
      languageModel: {
        provider: str(KEYS.llmProvider, 'none') as ResolvedLanguageModel['provider'],
        model: str(KEYS.llmModel, ''),
        baseUrl: str(KEYS.llmBaseUrl, ''),
        temperature: num(KEYS.llmTemperature, 0.7),
        apiKey: await this.secrets.get(`${userId}/${SECRET_LLM_KEY}`),
      },
      embedding: {
        provider: str(KEYS.embProvider, 'builtin') as ResolvedEmbedding['provider'],
        model: str(KEYS.embModel, ''),
        baseUrl: str(KEYS.embBaseUrl, ''),
        apiKey: await this.secrets.get(`${userId}/${SECRET_EMBEDDING_KEY}`),
      },
    };
  }

  async view(userId: string): Promise<UserSettings> {
    const { languageModel, embedding } = await this.resolved(userId);
    const { apiKey: k1, ...lm } = languageModel;
    const { apiKey: k2, ...em } = embedding;
    return { languageModel: { ...lm, apiKeySet: k1 !== null }, embedding: { ...em, apiKeySet: k2 !== null } };
  }

  async update(userId: string, patch: SettingsPatch): Promise<UserSettings> {
    const writes: [string, unknown][] = [];
    const lm = patch.languageModel ?? {};
    const em = patch.embedding ?? {};
    if (lm.provider !== undefined) writes.push([KEYS.llmProvider, lm.provider]);
    if (lm.model !== undefined) writes.push([KEYS.llmModel, lm.model]);
    if (lm.baseUrl !== undefined) writes.push([KEYS.llmBaseUrl, lm.baseUrl]);
    if (lm.temperature !== undefined) writes.push([KEYS.llmTemperature, lm.temperature]);
    if (em.provider !== undefined) writes.push([KEYS.embProvider, em.provider]);
    if (em.model !== undefined) writes.push([KEYS.embModel, em.model]);
    if (em.baseUrl !== undefined) writes.push([KEYS.embBaseUrl, em.baseUrl]);
    if (writes.length) {
      await this.emily.withUserTransaction(userId, async (c) => {
        for (const [key, value] of writes) {
          await c.query('INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()', [key, JSON.stringify(value)]);
        }
      });
    }
    await this.applySecret(`${userId}/${SECRET_LLM_KEY}`, lm.apiKey);
    await this.applySecret(`${userId}/${SECRET_EMBEDDING_KEY}`, em.apiKey);
    return this.view(userId);
  }

  private async applySecret(name: string, value: string | null | undefined): Promise<void> {
    if (value === undefined) return;
    if (value === null) await this.secrets.delete(name);
    else await this.secrets.set(name, value);
  }
}
