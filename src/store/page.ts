/** A page of a log read newest first: at most `limit` entries, all older than the entry `before` (an id). */
export interface PageQuery {
  limit: number;
  before?: number;
}

/** A page of a log, oldest first as the log reads; `nextBefore` is the cursor of the older page, when there is one. */
export interface Page<T> {
  entries: T[];
  nextBefore?: number;
}

/**
 * The page from rows read newest first with one row more than `limit` (that row only says an older
 * page exists). Pure.
 */
export function pageOf<T extends { id: number }>(newestFirst: T[], limit: number): Page<T> {
  const entries = newestFirst.slice(0, limit).reverse();
  return newestFirst.length > limit ? { entries, nextBefore: entries[0].id } : { entries };
}
