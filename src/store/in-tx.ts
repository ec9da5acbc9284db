import type { Db } from './db.ts';

/** Runs fn in the caller's transaction when `db` is one (a fenced write), else in a transaction of its own. */
export function inTx<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
