/** A buffered segment, as far as the ring cares: when it ends (epoch ms). */
export interface RingEntry {
  seg: { endMs: number };
}

/**
 * Splits a pre-buffer (oldest first) into what stays and what falls out of a `windowMs` window
 * behind its newest end. An entry is kept while its end is at most `windowMs` behind, so the
 * segment straddling the window's start stays and the buffer always covers the full window.
 */
export function trimRing<T extends RingEntry>(ring: readonly T[], windowMs: number): { keep: T[]; drop: T[] } {
  // The newest end, not the last entry's: a restarted ffmpeg's clock may list a little behind.
  const newest = Math.max(...ring.map((e) => e.seg.endMs));
  const keep: T[] = [];
  const drop: T[] = [];
  for (const e of ring) (e.seg.endMs < newest - windowMs ? drop : keep).push(e);
  return { keep, drop };
}

/**
 * Splits a pre-buffer (oldest first) on promotion: the entries ending after `recordFromMs` are
 * committed, in buffer order, so the segment holding that instant is included; the rest are
 * dropped. Without `recordFromMs` everything is committed.
 */
export function splitForCommit<T extends RingEntry>(
  ring: readonly T[],
  recordFromMs?: number,
): { commit: T[]; drop: T[] } {
  const commit: T[] = [];
  const drop: T[] = [];
  for (const e of ring) (recordFromMs === undefined || e.seg.endMs > recordFromMs ? commit : drop).push(e);
  return { commit, drop };
}
