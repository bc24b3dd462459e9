import { useEffect, useState } from 'react';
import type { ConnectionTest, EmbeddingSettings, LanguageModelSettings } from '../../../electron/api/contract/index.js';
import { ApiError, useCall } from '../api/client.js';
import { ErrorNote } from '../components/Notes.js';

type Target = 'language' | 'embedding';

/** API key field: write-only. The stored key is never shown or sent back. */
function KeyField({ set, value, onChange, onRemove }: { set: boolean; value: string; onChange(v: string): void; onRemove(): void }) {
  return (
    <label>
      API key {set && <span className="badge">stored</span>}
      <span className="row">
        <input type="password" autoComplete="off" placeholder={set ? 'Leave empty to keep the stored key' : 'Only for servers that need one'} value={value} onChange={(e) => onChange(e.target.value)} />
        {set && (
          <button type="button" onClick={onRemove}>
            Remove key
          </button>
        )}
      </span>
    </label>
  );
}

function TestButton({ target, dirty }: { target: Target; dirty: boolean }) {
  const call = useCall();
  const [result, setResult] = useState<ConnectionTest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <div className="row test-connection">
      <button
        type="button"
        disabled={busy || dirty}
        title={dirty ? 'Save first: the test uses the saved settings' : undefined}
        onClick={async () => {
          setBusy(true);
          setError(null);
          setResult(null);
          try {
            setResult(await call('settings.testConnection', { target }));
          } catch (e) {
            setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Testing…' : 'Test connection'}
      </button>
      {result && (
        <span className={result.ok ? 'ok' : 'warn'} role="status">
          {result.message}
          {result.latencyMs !== null && ` (${result.latencyMs} ms)`}
        </span>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

/**
 * An editable copy of saved settings plus a typed-in key: reset when the saved value
 * changes, dirty when either differs, and the patch to save (the stored-key flag stripped,
 * the key only when one was typed).
 */
function useDraft<T extends { apiKeySet: boolean }>(value: T) {
  const [form, setForm] = useState(value);
  const [key, setKey] = useState('');
  // Reset only when the saved value itself changed: saving the other form hands this one a
  // new but equal object, and unsaved edits here must survive that.
  const saved = JSON.stringify(value);
  useEffect(() => {
    setForm(JSON.parse(saved) as T);
  }, [saved]);
  const dirty = JSON.stringify(form) !== JSON.stringify(value) || key !== '';
  const patch = () => {
    const { apiKeySet: _k, ...rest } = form;
    return { ...rest, ...(key ? { apiKey: key } : {}) };
  };
  return { form, setForm, key, setKey, dirty, patch };
}

export function LanguageModelForm({ value, onSave }: { value: LanguageModelSettings; onSave(patch: Record<string, unknown>): Promise<boolean> }) {
  const { form, setForm, key, setKey, dirty, patch } = useDraft(value);
  const remote = form.provider === 'openai-compatible' || form.provider === 'anthropic';
  return (
    <form
      className="card form"
      aria-label="Language model"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await onSave({ languageModel: patch() })) setKey('');
      }}
    >
      <h2>Language model</h2>
      <label>
        Provider
        <select value={form.provider} onChange={(e) => setForm({ ...form, provider: e.target.value as LanguageModelSettings['provider'] })}>
          <option value="none">None — Emily answers from memory</option>
          <option value="openai-compatible">OpenAI-compatible server (Ollama, LM Studio, llama.cpp, vLLM, OpenAI)</option>
          <option value="anthropic">Anthropic</option>
          <option value="local-gguf">Local GGUF model file</option>
        </select>
      </label>
      {form.provider !== 'none' && (
        <>
          <label>
            {form.provider === 'local-gguf' ? 'Model file' : 'Model'}
            <input value={form.model} onChange={(e) => setForm({ ...form, model: e.target.value })} placeholder={form.provider === 'local-gguf' ? '/path/to/model.gguf' : 'e.g. llama3.1'} />
          </label>
          {remote && (
            <label>
              Server address
              <input value={form.baseUrl} onChange={(e) => setForm({ ...form, baseUrl: e.target.value })} placeholder="http://127.0.0.1:11434/v1" />
            </label>
          )}
          <label>
            Temperature <output>{form.temperature.toFixed(1)}</output>
            <input type="range" aria-label="Temperature" min={0} max={2} step={0.1} value={form.temperature} onChange={(e) => setForm({ ...form, temperature: Number(e.target.value) })} />
          </label>
          {remote && <KeyField set={value.apiKeySet} value={key} onChange={setKey} onRemove={() => void onSave({ languageModel: { apiKey: null } })} />}
        </>
      )}
      <div className="row">
        <button type="submit" disabled={!dirty}>
          Save
        </button>
        <TestButton target="language" dirty={dirty} />
      </div>
    </form>
  );
}

export function EmbeddingForm({ value, onSave }: { value: EmbeddingSettings; onSave(patch: Record<string, unknown>): Promise<boolean> }) {
  const { form, setForm, key, setKey, dirty, patch } = useDraft(value);
  return (
    <form
      className="card form"
      aria-label="Embedding model"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await onSave({ embedding: patch() })) setKey('');
      }}
    >
      <h2>Embedding model</h2>
      <p className="muted small">Changing it re-embeds your memories in the background; recall keeps working meanwhile.</p>
      <label>
        Provider
        <select value={form.provider} onChange={(e) => setForm({ ...form, provider: e.target.value as EmbeddingSettings['provider'] })}>
          <option value="builtin">Built-in (offline, no download)</option>
          <option value="openai-compatible">OpenAI-compatible /v1/embeddings server</option>
          <option value="local-gguf">Local GGUF embedding model</option>
        </select>
      </label>
      {form.provider !== 'builtin' && (
        <>
          <label>
            {form.provider === 'local-gguf' ? 'Model file' : 'Model'}
            <input value={form.model} onChange={(e) => setForm({ ...form, model: e.target.value })} />
          </label>
          {form.provider === 'openai-compatible' && (
            <>
              <label>
                Server address
                <input value={form.baseUrl} onChange={(e) => setForm({ ...form, baseUrl: e.target.value })} placeholder="http://127.0.0.1:11434/v1" />
              </label>
              <KeyField set={value.apiKeySet} value={key} onChange={setKey} onRemove={() => void onSave({ embedding: { apiKey: null } })} />
            </>
          )}
        </>
      )}
      <div className="row">
        <button type="submit" disabled={!dirty}>
          Save
        </button>
        <TestButton target="embedding" dirty={dirty} />
      </div>
    </form>
  );
}
