/** An assignment's place in the order servers obey: the term first, then the generation. */
export interface TermGeneration {
  term: number;
  generation: number;
}

/** No raise goes above this (a farm takes one term per leader): a server claiming more is not believed. */
export const MAX_TERM = 2 ** 40;
/** A leader raises its term at most this often: a server that keeps claiming more (a bug, a lie, two stores) slows the farm, never stops it. */
export const RAISE_EVERY_MS = 10_000;

/**
 * The term a leader must lead on under for a server holding `held` to obey it, or undefined when it
 * obeys already. A server only ever holds what a leader served, so a pair above the leader's own
 * (a higher term, or its own term with a higher generation) means the store is behind the farm: it
 * was restored from an older copy (or a replica promoted behind), and the server would refuse every
 * assignment sent from it. Pure.
 */
export function termAbove(held: TermGeneration, mine: TermGeneration): number | undefined {
  const ahead = held.term > mine.term || (held.term === mine.term && held.generation > mine.generation);
  return ahead ? held.term + 1 : undefined;
}

/**
 * The leader's side of it: what each server last said it holds, and when to lead on under a higher
 * term — above every server heard (one raise for the farm, not one per server), at most every
 * `everyMs`, never above MAX_TERM. Pure (the caller gives the time).
 */
export class TermCatchUp {
  private readonly held = new Map<string, TermGeneration>();
  private lastRaiseAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly everyMs = RAISE_EVERY_MS) {}

  /** A server's status told what it holds: the term to lead on under and why, when this leader must now. */
  heard(
    server: string,
    held: TermGeneration,
    mine: TermGeneration,
    nowMs: number,
  ): { to: number; reason: string } | undefined {
    this.held.set(server, held);
    if (termAbove(held, mine) === undefined || nowMs - this.lastRaiseAt < this.everyMs) return undefined;
    let to = 0;
    let by = server;
    for (const [s, h] of this.held) {
      const t = termAbove(h, mine);
      if (t !== undefined && t > to) [to, by] = [t, s];
    }
    if (to > MAX_TERM) return undefined;
    this.lastRaiseAt = nowMs;
    const h = this.held.get(by)!;
    return {
      to,
      reason: `server ${by} holds term ${h.term} generation ${h.generation}, above this master's (${mine.term}, ${mine.generation}): the store is behind the farm (restored from an older copy?)`,
    };
  }
}
