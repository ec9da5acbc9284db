import type { FailoverEntry } from '../store/failover-log.ts';

/** The failover a gap of a camera's timeline is linked to. */
export interface GapCause {
  id: number;
  trigger: string;
  server: string;
  status: string;
}

/**
 * How long before its entry a failover's hole may start: a server dies, then its buddies miss it for
 * FarmHealthMissedUdpMs (twice that when the master counts lost statuses), then the entry opens.
 */
export const LOOKBACK_MS = 15_000;

/** When an entry's work ended: its last step, or now while it runs. */
function endOf(e: FailoverEntry, now: number): number {
  if (e.status === 'running' || e.status === 'waiting' || e.status === 'queued') return now;
  return Math.max(e.startedAt, ...e.detail.steps.map((s) => s.at));
}

/**
 * Links each gap of a camera's timeline to the failover that explains it (pure): an entry that
 * concerns the camera (moves it, or left it unrecorded) and whose span — from LOOKBACK_MS before it
 * opened to its last step (now, while it runs) — overlaps the gap; of several, the one that opened
 * nearest the gap's start. A gap no entry explains is null (a camera that stopped answering, say).
 */
export function gapCauses<G extends { startMs: number; endMs: number }>(
  camera: string,
  gaps: G[],
  entries: FailoverEntry[],
  now: number,
): (G & { failover: GapCause | null })[] {
  const mine = entries.filter(
    (e) => e.detail.moves.some((m) => m.camera === camera) || e.detail.unrecorded.includes(camera),
  );
  return gaps.map((g) => {
    const candidates = mine.filter((e) => e.startedAt - LOOKBACK_MS <= g.endMs && endOf(e, now) >= g.startMs);
    candidates.sort((a, b) => Math.abs(a.startedAt - g.startMs) - Math.abs(b.startedAt - g.startMs));
    const e = candidates[0];
    return { ...g, failover: e ? { id: e.id, trigger: e.trigger, server: e.server, status: e.status } : null };
  });
}
