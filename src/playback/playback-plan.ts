/** A segment some server holds for a camera, as its node lists it. */
export interface HeldSegment {
  server: string;
  /** The id in that server's local index. */
  id: number;
  startMs: number;
  endMs: number;
}

import { JITTER_MS } from '../lib/continuity.ts';

/**
 * Overlap tolerated between consecutive chosen segments, and the reach of "continues": the
 * tolerance the store and the playlist use, so jitter in measured segment times is not a hole.
 */
export const OVERLAP_MS = JITTER_MS;

/**
 * Chooses, from every server's segments of one camera, one sequence in time order with no overlap:
 * what a player should play. Around a handover two servers may hold the same moments; segments
 * cannot be cut (each starts on a keyframe), so a segment overlapping footage already chosen is left
 * out, which can leave a hole shorter than one segment where the two servers' cuts do not line up.
 * The server being played is kept while it continues seamlessly, so playback does not flip between
 * two servers that both recorded a stretch; otherwise the earliest footage wins.
 */
export function playbackPlan(segments: HeldSegment[]): HeldSegment[] {
  const byServer = new Map<string, HeldSegment[]>();
  for (const s of segments) {
    if (!(s.endMs > s.startMs)) continue; // an empty segment adds nothing but a player stall
    let list = byServer.get(s.server);
    if (!list) {
      list = [];
      byServer.set(s.server, list);
    }
    list.push(s);
  }
  const queues = [...byServer.values()].map((list) => ({
    list: list.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs),
    next: 0,
  }));
  const out: HeldSegment[] = [];
  let end = -Infinity;
  let server: string | undefined;
  for (;;) {
    let pick: HeldSegment | undefined;
    let from: (typeof queues)[number] | undefined;
    for (const q of queues) {
      // Skip what starts before the chosen footage ends: it would show the same moments twice.
      while (q.next < q.list.length && q.list[q.next].startMs < end - OVERLAP_MS) q.next++;
      const c = q.list[q.next];
      if (!c) continue;
      if (c.server === server && c.startMs <= end + OVERLAP_MS) {
        pick = c;
        from = q;
        break;
      }
      if (
        !pick ||
        c.startMs < pick.startMs ||
        (c.startMs === pick.startMs && (c.endMs > pick.endMs || (c.endMs === pick.endMs && c.server < pick.server)))
      ) {
        pick = c;
        from = q;
      }
    }
    if (!pick || !from) return out;
    from.next++;
    out.push(pick);
    end = pick.endMs;
    server = pick.server;
  }
}
