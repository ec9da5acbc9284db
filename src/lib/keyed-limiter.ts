/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/** Why a slot was refused: the key holds its share, or every slot is taken. */
export interface LimitRefusal {
  refused: 'key' | 'total';
  /** The bound that was reached. */
  limit: number;
}

/**
 * Bounds work in flight per key (a user, an address) and overall: at most `perKey` slots per key
 * and `total` in all. Pure bookkeeping, no I/O, no waiting: a caller refused answers at once.
 */
export class KeyedLimiter {
  private readonly byKey = new Map<string, number>();
  private used = 0;

  constructor(
    readonly perKey: number,
    readonly total: number,
  ) {
    if (!(perKey >= 1 && total >= 1)) throw new Error(`limits must be at least 1 (per key ${perKey}, total ${total})`);
  }

  /** Takes a slot for `key`, or says which bound refuses it. */
  acquire(key: string): { release: Release } | LimitRefusal {
    const mine = this.byKey.get(key) ?? 0;
    if (mine >= this.perKey) return { refused: 'key', limit: this.perKey };
    if (this.used >= this.total) return { refused: 'total', limit: this.total };
    this.byKey.set(key, mine + 1);
    this.used++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.used--;
        const n = (this.byKey.get(key) ?? 1) - 1;
        if (n > 0) this.byKey.set(key, n);
        else this.byKey.delete(key);
      },
    };
  }

  /** Slots in use: by `key`, or in all. */
  inUse(key?: string): number {
    return key === undefined ? this.used : (this.byKey.get(key) ?? 0);
  }
}
