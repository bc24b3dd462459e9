import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.js';

/** A domain this build does not serve: said plainly, no fake data. */
export function Unavailable({ what }: { what: string }) {
  return (
    <div className="note unavailable" role="status" data-testid="unavailable">
      <strong>{what} is not available in this build.</strong>
      <p>This version of Emily was built without it. Your data is untouched; update Emily to use it.</p>
    </div>
  );
}

export function ErrorNote({ error, onRetry }: { error: ApiError | Error | string | null; onRetry?: () => void }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <div className="note error" role="alert">
      <span>{message}</span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

export function ProgressBar({ done, total, label }: { done: number; total: number | null; label: string }) {
  const frac = total && total > 0 ? Math.min(1, done / total) : null;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={frac === null ? undefined : Math.round(frac * 100)}>
      <div className={frac === null ? 'bar indeterminate' : 'bar'} style={frac === null ? undefined : { width: `${frac * 100}%` }} />
      <span className="progress-label">
        {label}
        {frac !== null && ` — ${Math.round(frac * 100)}%`}
      </span>
    </div>
  );
}
