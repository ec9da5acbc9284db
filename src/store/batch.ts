import type { Dialect } from './db.ts';

/**
 * Bound parameters one statement may carry, per engine. SQLite builds before 3.32 stop at 999
 * (SQLITE_MAX_VARIABLE_NUMBER; later ones at 32766): 999 is safe whichever SQLite runs, and its
 * statements are in-process, so more of them cost little. PostgreSQL's wire protocol counts
 * parameters in 16 bits: 65535.
 */
export const MAX_PARAMS: Record<Dialect, number> = { sqlite: 999, postgres: 65_535 };

/**
 * Splits rows into runs that keep one statement under the engine's parameter limit, given the
 * parameters each row binds and those the statement binds once (`fixed`).
 */
export function chunks<T>(rows: readonly T[], paramsPerRow: number, dialect: Dialect, fixed = 0): T[][] {
  const size = Math.max(1, Math.floor((MAX_PARAMS[dialect] - fixed) / Math.max(1, paramsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Runs `write` once per chunk, one after the other (on the caller's transaction, which holds one connection). */
export async function inChunks<T>(
  rows: readonly T[],
  paramsPerRow: number,
  dialect: Dialect,
  write: (chunk: T[]) => Promise<unknown>,
  fixed = 0,
): Promise<void> {
  for (const chunk of chunks(rows, paramsPerRow, dialect, fixed)) await write(chunk);
}

/** The parameters an insert of this row binds: one per column given. */
export function columnsOf(rows: readonly object[]): number {
  return rows.length ? Object.keys(rows[0]).length : 1;
}
