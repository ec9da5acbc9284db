/**
 * "A change was committed": raised by the store's writes (publishCommits) and the status intake,
 * heard by the service channel's watch. Apart from both, so the store can be wrapped before the
 * API that owns the watch is built.
 */
export class CommitSignal {
  private readonly listeners: (() => void)[] = [];

  /** Calls `fn` at every mark. */
  on(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** A change was committed. */
  mark = (): void => {
    for (const fn of this.listeners) fn();
  };
}
