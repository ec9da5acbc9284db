import type { Store } from '../store/store.ts';
import type { FailoverRow } from '../store/rows.ts';
import type { EventHub } from './event-hub.ts';

/** The store writes the service channel follows. */
type Writes = Pick<
  Store,
  | 'insertFailover'
  | 'updateFailover'
  | 'failover'
  | 'setServerState'
  | 'setServerRuntime'
  | 'setCameraRuntime'
  | 'moveCameras'
  | 'commitMoves'
  | 'bumpGeneration'
  | 'applyConfig'
>;

/**
 * Makes the store's own writes the service channel's source: once a write of the failover log has
 * succeeded, its entry as stored is published (`failover`, stamped with the commit's time, in the
 * order the writes committed); once a write of a server's state or runtime, a camera's runtime or
 * place, the generation or the configuration has, `mark()` has the watch render what changed.
 * Wraps the methods of this store object, so every part of the controller that writes through it is
 * followed without knowing it. Each wrapper calls the method on the object it is called on, so a view
 * of the store (fenced-view.ts) writes under its own fence and is followed as well.
 */
export function publishCommits(store: Writes, hub: EventHub, mark: () => void): void {
  const rows = new Map<number, FailoverRow>();
  // Entries are published one after another, so a later step never overtakes an earlier one.
  let order: Promise<void> = Promise.resolve();
  const publish = (atMs: number, row: () => Promise<FailoverRow | undefined> | FailoverRow | undefined) => {
    order = order
      .then(async () => {
        const r = await row();
        if (!r) return;
        rows.set(r.id, r);
        // Only the open entries are updated again; the map stays the size of a busy minute.
        if (rows.size > 500) rows.delete(rows.keys().next().value!);
        hub.publish('failover', r, atMs);
      })
      .catch(() => undefined);
  };

  const insert = store.insertFailover;
  store.insertFailover = async function (this: Writes, f) {
    const id = await insert.call(this, f);
    publish(Date.now(), () => ({ ...f, id, detail: f.detail as FailoverRow['detail'] }));
    mark();
    return id;
  };
  const read = store.failover.bind(store);
  /** An entry written anew: as known with its new status and detail, else as the store has it. */
  const publishEntry = (id: number, status: FailoverRow['status'], detail: unknown) =>
    publish(Date.now(), async () => {
      const known = rows.get(id);
      return known ? { ...known, status, detail: detail as FailoverRow['detail'] } : read(id);
    });
  const update = store.updateFailover;
  store.updateFailover = async function (this: Writes, id, status, detail) {
    await update.call(this, id, status, detail);
    publishEntry(id, status, detail);
    mark();
  };
  // A failover's commit: its moves, and its entry as committed with them.
  const commit = store.commitMoves;
  store.commitMoves = async function (this: Writes, c) {
    const g = await commit.call(this, c);
    publishEntry(c.entry.id, c.entry.status, c.entry.detail);
    mark();
    return g;
  };
  for (const name of [
    'setServerState',
    'setServerRuntime',
    'setCameraRuntime',
    'moveCameras',
    'bumpGeneration',
    'applyConfig',
  ] as const) {
    const write = store[name] as (this: Writes, ...a: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[name] = async function (this: Writes, ...a: unknown[]) {
      const r = await write.apply(this, a);
      mark();
      return r;
    };
  }
}
