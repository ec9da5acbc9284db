import type { Interval } from '../store/store.ts';
import type { CopyBackJob } from '../store/failover-log.ts';

/** Delay after a failback before its copy-back starts: the old server's last segments are indexed by then. */
export const COPY_BACK_SETTLE_MS = 5000;

/**
 * The copy-back jobs of a camera that came home at `now`: one per stream and per other server that
 * holds its footage, over the span of that footage. Pure.
 */
export function copyBackJobs(
  logId: number,
  camera: string,
  home: string,
  intervals: Interval[][],
  now: number,
): CopyBackJob[] {
  const jobs: CopyBackJob[] = [];
  intervals.forEach((list, stream) => {
    const bySource = new Map<string, { from: number; to: number }>();
    for (const i of list) {
      if (i.server === home) continue;
      const span = bySource.get(i.server);
      bySource.set(i.server, {
        from: Math.min(span?.from ?? i.startMs, i.startMs),
        to: Math.max(span?.to ?? i.endMs, i.endMs),
      });
    }
    for (const [source, span] of [...bySource].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
      jobs.push({
        id: `fb${logId}-${camera}~${stream}-${source}`,
        logId,
        camera,
        stream,
        home,
        source,
        fromMs: span.from,
        // The old server stops on its next assignment: whatever it records until then is in the job.
        toMs: Math.max(span.to, now + COPY_BACK_SETTLE_MS),
        notBefore: now + COPY_BACK_SETTLE_MS,
        state: 'pending',
      });
  });
  return jobs;
}
