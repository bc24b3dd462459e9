import { useState, type FormEvent } from 'react';
import { ApiError, useCall } from '../api/client.js';
import { useApp } from '../appContext.js';
import { ConfirmByName } from '../components/ConfirmByName.js';
import { Empty, ErrorNote } from '../components/Notes.js';
import { when } from '../logic/format.js';

/** Local profiles: each its own database; one is current. */
export function ProfilesScreen() {
  const { profiles, reloadProfiles } = useApp();
  const call = useCall();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);

  const act = async (key: string, fn: () => Promise<unknown>) => {
    setBusy(key);
    setError(null);
    try {
      await fn();
      reloadProfiles();
      return true;
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
      return false;
    } finally {
      setBusy(null);
    }
  };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (await act('create', () => call('profiles.create', { name }))) setName('');
  };

  return (
    <section className="screen" aria-labelledby="profiles-title">
      <h1 id="profiles-title">Profiles</h1>
      <p className="muted">Each profile is its own database: one person's Emily never sees another's.</p>
      <form className="row" onSubmit={create}>
        <input aria-label="New profile name" placeholder="Name of the new profile" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        <button type="submit" disabled={!name.trim() || busy === 'create'}>
          {busy === 'create' ? 'Creating…' : 'Create profile'}
        </button>
      </form>
      <ErrorNote error={error} />
      {profiles && profiles.profiles.length === 0 && <Empty title="No profiles yet">Create one above to start talking with Emily.</Empty>}
      <ul className="list profiles" aria-label="Profiles">
        {profiles?.profiles.map((p) => (
          <li key={p.id} className={p.id === profiles.currentId ? 'current' : ''} data-testid="profile-row">
            <div className="grow">
              <strong>{p.name}</strong>
              {p.id === profiles.currentId && <span className="badge">current</span>}
              <div className="muted small">
                created {when(p.createdAt)} · schema v{p.schemaVersion} · id {p.id}
              </div>
            </div>
            {p.id !== profiles.currentId && (
              <button type="button" disabled={busy !== null} onClick={() => act(`switch:${p.id}`, () => call('profiles.switch', { id: p.id }))}>
                Switch to {p.name}
              </button>
            )}
            <button type="button" className="danger-outline" onClick={() => setDeleting(p.id)} aria-label={`Delete ${p.name}`}>
              Delete
            </button>
            {deleting === p.id && (
              <ConfirmByName
                name={p.name}
                action={`Delete ${p.name} for ever`}
                busy={busy === `delete:${p.id}`}
                onCancel={() => setDeleting(null)}
                onConfirm={async (typed) => {
                  if (await act(`delete:${p.id}`, () => call('profiles.delete', { id: p.id, confirmName: typed }))) setDeleting(null);
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
