import { useState } from 'react';
import type { ImportResult } from '../../../electron/api/contract/index.js';
import { ApiError, newOperationId, useBridge, useCall, useEvents, useQuery } from '../api/client.js';
import { useApp, useCurrentProfile } from '../appContext.js';
import { ConfirmByName } from '../components/ConfirmByName.js';
import { Empty, ErrorNote, ProgressBar, Unavailable } from '../components/Notes.js';
import { bytes, when } from '../logic/format.js';
import { applyProgress, startOperation, type OperationView } from '../logic/operation.js';

/** Your data: export, import, backups, and deleting the profile. */
export function DataScreen() {
  const { info, reloadProfiles } = useApp();
  const profile = useCurrentProfile();
  const bridge = useBridge();
  const call = useCall();
  const available = info?.domains.portability ?? false;
  const backups = useQuery('portability.backups', {}, { enabled: available && !!profile, key: profile?.id });
  const [op, setOp] = useState<OperationView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [replacing, setReplacing] = useState(false);
  const [restoringInPlace, setRestoringInPlace] = useState<string | null>(null);
  const serverMode = info?.mode === 'server';
  useEvents((e) => e.name === 'progress' && setOp((o) => applyProgress(o, e.payload)));

  const run = async (label: string, fn: (operationId: string) => Promise<string | null>) => {
    const operationId = newOperationId();
    setOp(startOperation(operationId, label));
    setError(null);
    setDone(null);
    try {
      setDone(await fn(operationId));
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('INTERNAL', e instanceof Error ? e.message : String(e)));
    } finally {
      setOp(null);
    }
  };

  const exportProfile = () =>
    run('Exporting', async (operationId) => {
      const target = await bridge.files.chooseSave({ title: 'Export your Emily', suggestedName: `emily-${profile?.name ?? 'profile'}.dump`.replace(/[^A-Za-z0-9._-]/g, '_') });
      if (!target) return null;
      const r = await call('portability.export', { operationId, file: target.file, format: 'custom' });
      await bridge.files.deliver(target);
      return `Exported ${bytes(r.bytes)} to ${target.name}.`;
    });

  const importFile = (kind: 'dump' | 'chat-history') =>
    run(kind === 'dump' ? 'Importing an Emily' : 'Importing chat history', async (operationId) => {
      const source = await bridge.files.chooseOpen({ title: kind === 'dump' ? 'Import an Emily (pg_dump file)' : 'Import chat history', kind });
      if (!source) return null;
      const r: ImportResult = await call('portability.import', { operationId, file: source.file, kind });
      if (r.profile) reloadProfiles();
      const counts = Object.entries(r.counts).map(([k, v]) => `${v.toLocaleString()} ${k}`).join(', ');
      return r.profile ? `Imported "${r.profile.name}" as a new profile (${counts}).` : `Imported ${counts}.`;
    });

  const replaceWithDump = (confirmName: string) =>
    run('Replacing this Emily', async (operationId) => {
      const source = await bridge.files.chooseOpen({ title: `Replace ${confirmName} with an Emily (pg_dump file)`, kind: 'dump' });
      if (!source) return null;
      setReplacing(false);
      const r: ImportResult = await call('portability.replace', { operationId, file: source.file, confirmName });
      reloadProfiles();
      backups.reload();
      const counts = Object.entries(r.counts).map(([k, v]) => `${v.toLocaleString()} ${k}`).join(', ');
      const kept = r.previousBackup ? ` The Emily it held before is kept as the backup of ${when(r.previousBackup.createdAt)}.` : '';
      const unfinished = r.unfinished ? ` Not quite finished: ${r.unfinished}.` : '';
      return `${confirmName} now holds the Emily from ${source.name} (${counts}).${kept}${unfinished}`;
    });

  const cancel = () => op && void call('operations.cancel', { operationId: op.operationId });

  return (
    <section className="screen" aria-labelledby="data-title">
      <h1 id="data-title">Your data</h1>
      <p className="muted">Your Emily is one PostgreSQL database. Export it as a standard pg_dump file and take it anywhere.</p>
      {!available && <Unavailable what="Export, import and backups" />}
      {available && !profile && <Empty title="No profile selected">Choose a profile to export or back it up; importing an Emily creates a new profile.</Empty>}
      {/* One slot, always there, for progress and outcomes: the cards below never jump. */}
      <div className="op-slot" aria-live="polite">
        {op && (
          <div className="row">
            <div className="grow">
              <ProgressBar done={op.done} total={op.total} label={`${op.label}: ${op.message}`} />
            </div>
            <button type="button" onClick={cancel}>
              Cancel
            </button>
          </div>
        )}
        <ErrorNote error={error} />
        {done && (
          <p className="ok" role="status">
            {done}
          </p>
        )}
      </div>
      {available && (
        <div className="grid two">
          <section className="card">
            <h2>Export</h2>
            <p className="muted small">A pg_dump (custom format) that a stock pg_restore can read.</p>
            <button type="button" disabled={!profile || !!op} onClick={exportProfile}>
              Export {profile?.name ?? ''}…
            </button>
          </section>
          <section className="card">
            <h2>Import</h2>
            <p className="muted small">
              {serverMode
                ? 'To bring your Emily here from another machine, replace this one with her pg_dump file (below).'
                : 'A pg_dump of an Emily becomes a new profile. Anything in it that an Emily database does not contain is refused, and nothing of it runs.'}
            </p>
            <div className="row">
              {!serverMode && (
                <button type="button" disabled={!!op} onClick={() => importFile('dump')}>
                  Import an Emily…
                </button>
              )}
              <button type="button" disabled={!profile || !!op} onClick={() => importFile('chat-history')}>
                Import chat history…
              </button>
            </div>
            <p className="muted small">Chat history: a ChatGPT export (.zip or conversations.json) or JSON lines (speaker, text, time).</p>
          </section>
          <section className="card">
            <h2>Backups</h2>
            <ErrorNote error={backups.error} onRetry={backups.reload} />
            {backups.data?.length === 0 && <p className="muted">No backups yet.</p>}
            <ul className="list compact">
              {backups.data?.map((b) => (
                <li key={b.id}>
                  <span className="grow">
                    {when(b.createdAt)} · {b.kind} · {bytes(b.bytes)}
                  </span>
                  {!serverMode && (
                    <button type="button" disabled={!!op} onClick={() => run('Restoring', async (operationId) => `Restored as "${(await call('portability.restore', { operationId, backupId: b.id })).name}".`).then(reloadProfiles)}>
                      Restore as new profile
                    </button>
                  )}
                  <button type="button" disabled={!!op || !profile} onClick={() => setRestoringInPlace(b.id)}>
                    Restore in place…
                  </button>
                  {restoringInPlace === b.id && profile && (
                    <ConfirmByName
                      name={profile.name}
                      action={`Put ${profile.name} back as of ${when(b.createdAt)}`}
                      busy={!!op}
                      onCancel={() => setRestoringInPlace(null)}
                      onConfirm={(typed) => {
                        setRestoringInPlace(null);
                        void run('Restoring in place', async (operationId) => {
                          const r = await call('portability.restore', { operationId, backupId: b.id, inPlace: true, confirmName: typed });
                          reloadProfiles();
                          backups.reload();
                          const unfinished = r.unfinished ? ` Not quite finished: ${r.unfinished}.` : '';
                          return `${profile.name} is back as of ${when(b.createdAt)}; what she held until now is kept as a backup.${unfinished}`;
                        });
                      }}
                    />
                  )}
                </li>
              ))}
            </ul>
            <button type="button" disabled={!profile || !!op} onClick={() => run('Backing up', async (operationId) => (await call('portability.backupNow', { operationId }), backups.reload(), 'Backup written.'))}>
              Back up now
            </button>
          </section>
        </div>
      )}
      {profile && available && (
        <section className="card danger-zone">
          <h2>Replace this Emily with a dump</h2>
          <p className="muted small">
            Everything {profile.name} holds now is replaced by the Emily in a pg_dump file (say, exported from another machine). The file is checked and restored into a new database first; {profile.name} is
            only switched over once that copy is verified, and what she holds now is kept as a backup first.
          </p>
          {!replacing ? (
            <button type="button" className="danger-outline" disabled={!!op} onClick={() => setReplacing(true)}>
              Replace {profile.name}…
            </button>
          ) : (
            <ConfirmByName name={profile.name} action={`Replace ${profile.name}: choose the file`} busy={!!op} onCancel={() => setReplacing(false)} onConfirm={(typed) => void replaceWithDump(typed)} />
          )}
        </section>
      )}
      {profile && (
        <section className="card danger-zone">
          <h2>Delete this profile</h2>
          <p className="muted small">Drops {profile.name}'s database and login role{available ? ' and their backups' : ''}. Export first if you may want it back.</p>
          {!deleting ? (
            <button type="button" className="danger-outline" onClick={() => setDeleting(true)}>
              Delete {profile.name}…
            </button>
          ) : (
            <ConfirmByName
              name={profile.name}
              action={`Delete ${profile.name} for ever`}
              onCancel={() => setDeleting(false)}
              onConfirm={async (typed) => {
                try {
                  await call('profiles.delete', { id: profile.id, confirmName: typed });
                  setDeleting(false);
                  reloadProfiles();
                } catch (e) {
                  setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
                }
              }}
            />
          )}
        </section>
      )}
    </section>
  );
}
