import type { Store } from './store.ts';

/**
 * The store with its writes fenced by `fence` for good, whatever fence the store itself is given
 * later: one term's parts of the controller write through it, so a write of theirs that waited on
 * the store across a takeover is refused under their term, not let through under this master's
 * next one. Reads and everything else are the store's own (the view inherits from it, wrappers
 * such as publishCommits' included).
 */
export function fencedAs(store: Store, fence: Store['fence']): Store {
  const view = Object.create(store) as Store;
  view.fence = fence;
  return view;
}
