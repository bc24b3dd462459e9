/**
 * The memory list shows up to tens of thousands of rows: it keeps only the pages the
 * viewport has needed, fetched by offset, and knows which are missing for a visible range.
 */
export class PageCache<T> {
  private readonly pages = new Map<number, T[]>();
  private readonly inflight = new Set<number>();

  constructor(readonly pageSize: number) {}

  row(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Pages covering [first, last] that are neither loaded nor being loaded. */
  missing(first: number, last: number, total: number): number[] {
    if (total <= 0 || last < first) return [];
    const lo = Math.floor(Math.max(0, first) / this.pageSize);
    const hi = Math.floor(Math.min(last, total - 1) / this.pageSize);
    const out: number[] = [];
    for (let p = lo; p <= hi; p++) if (!this.pages.has(p) && !this.inflight.has(p)) out.push(p);
    return out;
  }

  start(page: number): void {
    this.inflight.add(page);
  }

  fill(page: number, rows: T[]): void {
    this.inflight.delete(page);
    this.pages.set(page, rows);
  }

  fail(page: number): void {
    this.inflight.delete(page);
  }

  /** After an edit or delete: forget everything, the list reloads what is visible. */
  clear(): void {
    this.pages.clear();
    this.inflight.clear();
  }

  update(predicate: (row: T) => boolean, fn: (row: T) => T): void {
    for (const [p, rows] of this.pages) this.pages.set(p, rows.map((r) => (predicate(r) ? fn(r) : r)));
  }
}
