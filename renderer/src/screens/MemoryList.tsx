import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { MemoryRow } from '../../../electron/api/contract/index.js';
import type { MemoryListRequest } from '../../../electron/api/contract/memory.js';
import { ApiError, useCall } from '../api/client.js';
import { Empty, ErrorNote } from '../components/Notes.js';
import { PageCache } from '../logic/pageCache.js';

const PAGE = 200;
const ROW_HEIGHT = 56;

/**
 * A virtualised list over the server's paging: only visible rows are in the DOM and only
 * the pages they fall in are fetched, so 50,000 memories scroll as smoothly as 50.
 */
export function MemoryList({ filter, selectedId, onSelect, version }: { filter: Omit<MemoryListRequest, 'offset' | 'limit'>; selectedId: string | null; onSelect(row: MemoryRow): void; version: number }) {
  const call = useCall();
  const parentRef = useRef<HTMLDivElement>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [, setTick] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  /** The row the keyboard is on (arrow keys move it, Enter or Space opens it). */
  const [active, setActive] = useState<number | null>(null);
  const filterKey = JSON.stringify(filter);
  const cache = useMemo(() => new PageCache<MemoryRow>(PAGE), [filterKey, version]);

  const load = async (page: number) => {
    cache.start(page);
    try {
      const r = await call('memory.list', { ...(JSON.parse(filterKey) as typeof filter), offset: page * PAGE, limit: PAGE });
      cache.fill(page, r.items);
      setTotal(r.total);
      setTick((t) => t + 1);
    } catch (e) {
      cache.fail(page);
      setError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e)));
    }
  };

  useEffect(() => {
    setTotal(null);
    setError(null);
    setActive(null);
    void load(0);
  }, [cache]);

  const virtualizer = useVirtualizer({ count: total ?? 0, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (total === null) return;
    for (const p of cache.missing(first, last, total)) void load(p);
  }, [first, last, total, cache]);

  // Anything that narrows the list: with it, an empty list means no match, not no memories.
  const filtered = !!filter.query || filter.kinds.length > 0 || filter.pinnedOnly || filter.tier === 'L4';
  const moveTo = (i: number) => {
    if (!total) return;
    const next = Math.max(0, Math.min(total - 1, i));
    setActive(next);
    virtualizer.scrollToIndex(next);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const at = active ?? -1;
    const page = Math.max(1, Math.floor((parentRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + page, PageUp: at - page, Home: 0, End: (total ?? 1) - 1 };
    if (e.key in moves) {
      e.preventDefault();
      moveTo(moves[e.key]!);
    } else if ((e.key === 'Enter' || e.key === ' ') && active !== null) {
      e.preventDefault();
      const row = cache.row(active);
      if (row) onSelect(row);
    }
  };

  return (
    <div className="memory-list-wrap">
      <ErrorNote error={error} onRetry={() => (setError(null), void load(0))} />
      <div className="muted small" aria-live="polite" data-testid="memory-count">
        {total === null ? 'Loading…' : `${total.toLocaleString()} ${total === 1 ? 'entry' : 'entries'}`}
      </div>
      {total === 0 && <Empty title={filtered ? 'Nothing matches' : 'No memories yet'}>{filtered ? 'Try other words or fewer filters.' : 'Talk with Emily: what matters is distilled here.'}</Empty>}
      {/* Kept mounted (the virtualizer holds on to it), but no empty frame under "Nothing matches". */}
      <div
        ref={parentRef}
        className="memory-list"
        role="listbox"
        aria-label="Memories"
        hidden={total === 0}
        tabIndex={0}
        aria-activedescendant={active !== null ? `memory-option-${active}` : undefined}
        onKeyDown={onKeyDown}
        onFocus={() => active === null && total && moveTo(0)}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const row = cache.row(v.index);
            return (
              <div
                key={v.key}
                id={`memory-option-${v.index}`}
                role="option"
                aria-selected={row?.id === selectedId}
                className={`memory-row${row?.id === selectedId ? ' selected' : ''}${row?.archived ? ' archived' : ''}${v.index === active ? ' active' : ''}`}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                onClick={() => {
                  setActive(v.index);
                  if (row) onSelect(row);
                }}
              >
                {row ? (
                  <>
                    <span className={`tier ${row.tier}`}>{row.tier}</span>
                    <span className="text" dir="auto">
                      {row.text}
                    </span>
                    <span className="meta">
                      {row.kind ?? row.source}
                      {row.pinned && ' · pinned'}
                      {row.score !== null && ` · ${row.score.toFixed(2)}`}
                    </span>
                  </>
                ) : (
                  <span className="placeholder" aria-hidden />
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
