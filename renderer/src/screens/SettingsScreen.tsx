import { useState } from 'react';
import type { UserSettings } from '../../../electron/api/contract/index.js';
import { ApiError, useCall, useEvents, useQuery } from '../api/client.js';
import { useApp, useCurrentProfile } from '../appContext.js';
import { Empty, ErrorNote } from '../components/Notes.js';
import { HealthPanel } from './HealthPanel.js';
import { EmbeddingForm, LanguageModelForm } from './ModelForms.js';

export function SettingsScreen() {
  const { info, go } = useApp();
  const profile = useCurrentProfile();
  const call = useCall();
  const settings = useQuery('settings.get', {}, { enabled: !!profile, key: profile?.id });
  const background = useQuery('background.get', {});
  const [saved, setSaved] = useState<UserSettings | null>(null);
  const [paused, setPaused] = useState<boolean | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEvents((e) => e.name === 'background.changed' && setPaused(e.payload.paused));
  const current = saved ?? settings.data;
  const isPaused = paused ?? background.data?.paused ?? false;

  const save = async (patch: Record<string, unknown>) => {
    setError(null);
    setNotice(null);
    try {
      setSaved(await call('settings.update', patch as never));
      setNotice('Saved.');
      return true;
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
      return false;
    }
  };

  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <ErrorNote error={error ?? settings.error} />
      {notice && (
        <p className="ok" role="status" data-testid="settings-notice">
          {notice}
        </p>
      )}
      {!profile && (
        <Empty title="No profile selected">
          Models are set per profile. <button type="button" onClick={() => go('profiles')}>Choose a profile</button>
        </Empty>
      )}
      {profile && current && (
        <div className="grid two">
          <LanguageModelForm value={current.languageModel} onSave={save} />
          <EmbeddingForm value={current.embedding} onSave={save} />
        </div>
      )}
      <section className="card" aria-labelledby="bg-title">
        <h2 id="bg-title">Background work</h2>
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            aria-label="Background work"
            checked={!isPaused}
            disabled={background.loading && background.data === undefined}
            onChange={async (e) => {
              try {
                setPaused((await call('background.set', { paused: !e.target.checked })).paused);
              } catch (err) {
                setError(err instanceof ApiError ? err : new ApiError('INTERNAL', String(err)));
              }
            }}
          />
          <span data-testid="background-state">{isPaused ? 'Paused — re-embedding, consolidation, self-correction and scheduled backups wait' : 'On'}</span>
        </label>
        <p className="muted small">Chat and memory keep working either way.</p>
      </section>
      <section className="card" aria-labelledby="loc-title">
        <h2 id="loc-title">Data location</h2>
        <table className="compact">
          <tbody>
            <tr>
              <th>Emily's folder</th>
              <td data-testid="data-home">
                <code>{info?.dataHome ?? '…'}</code>
              </td>
            </tr>
            <tr>
              <th>Databases</th>
              <td>
                <code>{info?.pgdata ?? '…'}</code>
              </td>
            </tr>
            <tr>
              <th>Backups</th>
              <td>
                <code>{info?.backups ?? '…'}</code>
              </td>
            </tr>
          </tbody>
        </table>
        <p className="muted small">To move it, quit Emily and start it with EMILY_HOME set to the new folder.</p>
      </section>
      <HealthPanel />
    </section>
  );
}
