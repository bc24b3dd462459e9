import { useState } from 'react';
import type { HealthReport } from '../../../electron/api/contract/index.js';
import { ApiError, useCall, useQuery } from '../api/client.js';
import { ErrorNote } from '../components/Notes.js';

/** The doctor's results, and its repair run. */
export function HealthPanel() {
  const q = useQuery('health.report', {});
  const call = useCall();
  const [repaired, setRepaired] = useState<HealthReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const report = repaired ?? q.data;

  const repair = async () => {
    setBusy(true);
    setError(null);
    try {
      setRepaired(await call('health.repair', {}));
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="health-title" data-testid="health">
      <h2 id="health-title">Health</h2>
      <ErrorNote error={q.error ?? error} onRetry={q.reload} />
      {!report && !q.error && <p className="muted">Checking the database server and every profile…</p>}
      {report && (
        <>
          <p className={report.ok ? 'ok' : 'warn'} data-testid="health-summary">
            {report.ok ? 'Everything is healthy.' : 'Something needs attention (see below); "Repair" fixes what it can.'}
          </p>
          <table className="compact">
            <tbody>
              <tr>
                <th>Database server</th>
                <td>PostgreSQL {report.cluster.version}</td>
              </tr>
              <tr>
                <th>pgvector</th>
                <td>{report.cluster.vectorAvailable ?? 'missing — reinstall Emily'}</td>
              </tr>
              <tr>
                <th>Connections</th>
                <td>
                  {report.cluster.connections} of {report.cluster.maxConnections}
                </td>
              </tr>
              <tr>
                <th>Template</th>
                <td>{report.template.ok ? `ok (schema v${report.template.schemaVersion})` : report.template.problems.join('; ')}</td>
              </tr>
            </tbody>
          </table>
          <h3>Profiles</h3>
          <ul className="list compact" aria-label="Profile checks">
            {report.users.map((u) => (
              <li key={u.userId}>
                <span className={u.ok && u.value?.ok ? 'dot ok' : 'dot warn'} aria-hidden />
                <span className="grow">{u.displayName}</span>
                <span className="muted small">
                  {u.error ? u.error.message : u.value?.ok ? `ok · schema v${u.value.schemaVersion}` : [...(u.value?.problems ?? []), ...(u.value?.unrepaired ?? [])].join('; ')}
                  {u.value?.repaired.length ? ` · repaired: ${u.value.repaired.join('; ')}` : ''}
                </span>
              </li>
            ))}
          </ul>
          {report.debris.length > 0 && <p className="warn">Unfinished profile creations or deletions: {report.debris.map((d) => `${d.id} (${d.status}${d.repaired ? ', cleaned up' : ''})`).join(', ')}</p>}
          {report.orphanDatabases.length > 0 && <p className="warn">Databases with no profile: {report.orphanDatabases.join(', ')}</p>}
        </>
      )}
      <div className="row">
        <button type="button" onClick={() => (setRepaired(null), q.reload())} disabled={q.loading || busy}>
          Check again
        </button>
        <button type="button" onClick={repair} disabled={busy}>
          {busy ? 'Repairing…' : 'Repair'}
        </button>
      </div>
    </section>
  );
}
