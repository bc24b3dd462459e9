import { useEffect, useState } from 'react';
import type { MemoryDetail } from '../../../electron/api/contract/index.js';
import { MAX_MEMORY_TEXT } from '../../../electron/api/contract/views.js';
import { ApiError, useCall, useQuery } from '../api/client.js';
import { MemoryGraph } from '../components/MemoryGraph.js';
import { MetricChart } from '../components/MetricChart.js';
import { ErrorNote } from '../components/Notes.js';
import { when } from '../logic/format.js';

/** An unsaved edit: the text being written, and the memory's text when the edit began. */
export interface MemoryDraft {
  base: string;
  text: string;
}

/**
 * One memory's page: metrics, outcomes, related memories, provenance; edit/pin/archive/delete.
 * An unsaved edit belongs to the screen (`editing`, `onEditing`), not to this panel: opening
 * another memory and coming back finds it as it was left. It remembers the text it started
 * from, so that if the memory changed meanwhile (another window, a chat that corrected it)
 * saving says it replaces the newer text instead of doing so unannounced.
 */
export function MemoryPanel({
  id,
  editing,
  onEditing,
  onOpen,
  onChanged,
  onDeleted,
}: {
  id: string;
  editing: MemoryDraft | null;
  onEditing(draft: MemoryDraft | null): void;
  onOpen(id: string): void;
  onChanged(): void;
  onDeleted(): void;
}) {
  const call = useCall();
  const q = useQuery('memory.get', { id });
  const [detail, setDetail] = useState<MemoryDetail | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    setDetail(null);
    setConfirmDelete(false);
    setError(null);
  }, [id]);
  // A paste past the limit is shown whole and refused with the count, never cut silently.
  const over = editing === null ? 0 : editing.text.trim().length - MAX_MEMORY_TEXT;
  const d = detail ?? q.data;

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
    }
  };

  if (q.error) return <ErrorNote error={q.error} onRetry={q.reload} />;
  if (!d) return <p className="muted">Loading the memory…</p>;
  const m = d.memory;
  const stale = editing !== null && editing.base !== m.text;
  return (
    <article className="memory-panel" aria-label="Memory">
      {editing === null ? (
        <p className="memory-text" data-testid="memory-text" dir="auto">
          {m.text}
        </p>
      ) : (
        <>
          <textarea aria-label="Memory text" aria-describedby="memory-text-length" aria-invalid={over > 0} dir="auto" value={editing.text} onChange={(e) => onEditing({ base: editing.base, text: e.target.value })} rows={4} />
          <p id="memory-text-length" className={over > 0 ? 'warn small' : 'muted small'} role={over > 0 ? 'alert' : undefined}>
            {over > 0
              ? `${over.toLocaleString()} characters too long: a memory holds at most ${MAX_MEMORY_TEXT.toLocaleString()}. Shorten it to save.`
              : `${editing.text.trim().length.toLocaleString()} of ${MAX_MEMORY_TEXT.toLocaleString()} characters`}
          </p>
          {stale && (
            <p className="warn small" role="alert">
              This memory changed since you started editing it. It now reads: <q dir="auto">{m.text}</q> Saving replaces that with your text (the newer one stays in its history).
            </p>
          )}
        </>
      )}
      <p className="muted small">
        {m.kind} · {m.source} · created {when(m.createdAt)} · used {m.useCount}× · ECGL {d.ecgl.toFixed(2)}
        {m.pinned && ' · pinned'}
        {m.archived && ' · archived'}
      </p>
      <ErrorNote error={error} />
      <div className="row">
        {editing === null ? (
          <button type="button" onClick={() => onEditing({ base: m.text, text: m.text })}>
            Edit
          </button>
        ) : (
          <>
            <button type="button" disabled={!editing.text.trim() || editing.text === m.text || over > 0} onClick={() => act(async () => (setDetail(await call('memory.edit', { id, text: editing.text })), onEditing(null)))}>
              {stale ? 'Save over the newer text' : 'Save'}
            </button>
            <button type="button" onClick={() => onEditing(null)}>
              Cancel
            </button>
          </>
        )}
        <button type="button" onClick={() => act(async () => (await call('memory.pin', { id, pinned: !m.pinned }), q.reload(), setDetail(null)))}>
          {m.pinned ? 'Unpin' : 'Pin'}
        </button>
        <button type="button" onClick={() => act(async () => (await call('memory.archive', { id, archived: !m.archived }), q.reload(), setDetail(null)))}>
          {m.archived ? 'Unarchive' : 'Archive'}
        </button>
        {!confirmDelete ? (
          <button type="button" className="danger-outline" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        ) : (
          <button type="button" className="danger" onClick={() => act(async () => (await call('memory.delete', { id }), onEditing(null), onDeleted()))}>
            Really delete
          </button>
        )}
      </div>
      <h3>Metrics</h3>
      <MetricChart metrics={d.metrics} />
      <h3>Related memories</h3>
      <MemoryGraph selfId={m.id} selfText={m.text} edges={d.edges} onOpen={onOpen} />
      <h3>Outcome history</h3>
      {d.outcomes.length === 0 ? (
        <p className="muted">No outcomes yet: they come from your reactions to replies that used this memory.</p>
      ) : (
        <ul className="list compact outcomes">
          {d.outcomes.map((o) => (
            <li key={o.id}>
              <span className={o.value >= 0 ? 'ok' : 'warn'}>{o.signal}</span>
              <span className="grow">{o.value > 0 ? `+${o.value}` : o.value}</span>
              <span className="muted small">{when(o.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Where it came from</h3>
      {d.provenance.length === 0 ? (
        <p className="muted">No source turns recorded.</p>
      ) : (
        <ul className="list compact">
          {d.provenance.map((t) => (
            <li key={t.turnId}>
              <span className="badge">{t.role}</span>
              <span className="grow">{t.text}</span>
              <span className="muted small">
                {t.source}
                {t.sourceId && ` · ${t.sourceId}`} · {when(t.createdAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
