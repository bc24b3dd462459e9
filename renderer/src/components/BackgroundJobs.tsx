import { useEffect } from 'react';
import { useQuery } from '../api/client.js';
import { ErrorNote, ProgressBar } from './Notes.js';

/**
 * The profile's background work (re-embedding after a model switch or an import,
 * consolidation, self-correction) with its progress; polls only while something runs.
 */
export function BackgroundJobs({ profileId }: { profileId: string }) {
  const jobs = useQuery('memory.jobs', { activeOnly: false }, { key: profileId });
  const active = (jobs.data ?? []).filter((j) => j.status === 'queued' || j.status === 'running');
  const { reload } = jobs;
  useEffect(() => {
    if (!active.length) return;
    const t = setInterval(reload, 2000);
    return () => clearInterval(t);
  }, [active.length, reload]);
  const recent = (jobs.data ?? []).filter((j) => !active.includes(j)).slice(0, 3);
  return (
    <div className="jobs" aria-label="Background work">
      <ErrorNote error={jobs.error} />
      {active.map((j) => (
        <ProgressBar key={j.id} label={j.status === 'queued' ? `${j.message} (waiting)` : j.message} done={j.progress} total={j.status === 'queued' ? null : 1} />
      ))}
      {!active.length && jobs.data && <p className="muted">{recent.length ? 'Nothing running in the background.' : 'No background work yet.'}</p>}
      {recent.length > 0 && (
        <ul className="muted">
          {recent.map((j) => (
            <li key={j.id}>
              {j.message}: {j.status}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
