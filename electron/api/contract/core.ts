import { hasCredentials } from '../../core/serverUrl.js';
import { z } from 'zod';
import { method } from './define.js';
import { empty, fileRef, operationId, profileId } from './shared.js';
import type { ConnectionTest, HealthReport, ProfilesView, ProfileView, SystemInfo, UserSettings } from './views.js';

const profileName = z.string().trim().min(1, 'a profile needs a name').max(100, 'a profile name has at most 100 characters');
const url = z.union([
  z.literal(''),
  z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// address' })
    .max(2000)
    .refine((v) => !hasCredentials(v), 'give the address without a user name or password; the key goes in the API key field'),
]);
const modelName = z.string().trim().max(300);
/** null removes the stored key, a string replaces it, absent leaves it. */
const apiKey = z.string().min(1).max(4000).nullable().optional();

export const systemContract = {
  'system.info': method<SystemInfo>()(empty),
};

export const profilesContract = {
  'profiles.list': method<ProfilesView>()(empty),
  'profiles.create': method<ProfileView>()(z.object({ name: profileName }).strict()),
  'profiles.switch': method<ProfileView>()(z.object({ id: profileId }).strict()),
  /** A typed confirmation: confirmName must be the profile's name, exactly. */
  'profiles.delete': method<{ id: string }>()(z.object({ id: profileId, confirmName: z.string().max(100) }).strict()),
};

export const healthContract = {
  'health.report': method<HealthReport>()(empty),
  'health.repair': method<HealthReport>()(empty),
};

export const settingsContract = {
  'settings.get': method<UserSettings>()(empty),
  'settings.update': method<UserSettings>()(
    z
      .object({
        languageModel: z
          .object({
            provider: z.enum(['none', 'openai-compatible', 'anthropic', 'local-gguf']).optional(),
            model: modelName.optional(),
            baseUrl: url.optional(),
            temperature: z.number().min(0).max(2).optional(),
            apiKey,
          })
          .strict()
          .optional(),
        embedding: z
          .object({
            provider: z.enum(['builtin', 'openai-compatible', 'local-gguf']).optional(),
            model: modelName.optional(),
            baseUrl: url.optional(),
            apiKey,
          })
          .strict()
          .optional(),
      })
      .strict(),
  ),
  'settings.testConnection': method<ConnectionTest>()(z.object({ target: z.enum(['language', 'embedding']) }).strict()),
  'background.get': method<{ paused: boolean }>()(empty),
  'background.set': method<{ paused: boolean }>()(z.object({ paused: z.boolean() }).strict()),
};

export const operationsContract = {
  /** Cancels a running call that was given this operation id (stream, export, import). */
  'operations.cancel': method<{ cancelled: boolean }>()(z.object({ operationId }).strict()),
  /** Browser mode: a file the core may write an export into, offered as a download after. */
  'files.exportTarget': method<{ file: string; name: string }>()(z.object({ suggestedName: z.string().regex(/^[A-Za-z0-9 ._-]{1,100}$/) }).strict()),
  'files.describe': method<{ file: string; name: string; bytes: number | null }>()(z.object({ file: fileRef }).strict()),
};
