/** A long poll let in: its signal aborts when a newer poll of the same key ends it; `leave` when it is done. */
export interface LongPoll {
  signal: AbortSignal;
  leave: () => void;
}

/**
 * The long polls waiting, at most one per key (a server) and `max` in all. A second poll of the
 * same server ends the first (its signal aborts, it answers at once with what it has): a server
 * that lost its connection and asks again is never refused, and nobody holds two waits open.
 * Pure bookkeeping, no I/O.
 */
export class LongPolls {
  private readonly waiting = new Map<string, AbortController>();

  constructor(readonly max: number) {}

  /** Lets a poll of `key` in, ending the one it replaces; undefined when `max` others wait already. */
  enter(key: string): LongPoll | undefined {
    const before = this.waiting.get(key);
    if (!before && this.waiting.size >= this.max) return undefined;
    before?.abort();
    const mine = new AbortController();
    this.waiting.set(key, mine);
    return {
      signal: mine.signal,
      leave: () => {
        if (this.waiting.get(key) === mine) this.waiting.delete(key);
      },
    };
  }

  /** How many polls wait. */
  get size(): number {
    return this.waiting.size;
  }
}
