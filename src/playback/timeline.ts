import { JITTER_MS } from '../lib/continuity.ts';

export interface Recorded {
  server: string;
  startMs: number;
  endMs: number;
}

export interface Timeline {
  intervals: { startMs: number; endMs: number; servers: string[] }[];
  gaps: { startMs: number; endMs: number; ms: number }[];
}

/**
 * A camera's timeline is the union of what every server recorded; a gap is a hole inside it
 * longer than JITTER_MS.
 * Clipped to [fromMs, toMs]. Holes before the first or after the last interval are not gaps.
 */
export function timeline(recorded: Recorded[], fromMs: number, toMs: number): Timeline {
  const parts = recorded
    .map((r) => ({ ...r, startMs: Math.max(r.startMs, fromMs), endMs: Math.min(r.endMs, toMs) }))
    .filter((r) => r.endMs > r.startMs)
    .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const intervals: Timeline['intervals'] = [];
  for (const p of parts) {
    const last = intervals.at(-1);
    // Servers stamp segments from their own clocks, rounded to the ms: a seam of up to JITTER_MS
    // between two servers' footage (a handover, a hot takeover) is not a hole, as within one server.
    if (last && p.startMs <= last.endMs + JITTER_MS) {
      last.endMs = Math.max(last.endMs, p.endMs);
      if (!last.servers.includes(p.server)) last.servers.push(p.server);
    } else {
      intervals.push({ startMs: p.startMs, endMs: p.endMs, servers: [p.server] });
    }
  }
  const gaps = intervals
    .slice(1)
    .map((iv, i) => ({ startMs: intervals[i].endMs, endMs: iv.startMs, ms: iv.startMs - intervals[i].endMs }));
  return { intervals, gaps };
}
