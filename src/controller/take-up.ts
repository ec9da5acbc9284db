import type { FailoverRow } from '../store/store.ts';
import type { FarmState } from './farm-state.ts';
import type { CopyBacks } from './copy-backs.ts';
import type { Handovers } from './handovers.ts';
import type { FailoverRuns } from './failover-runs.ts';
import type { ServerReturns } from './server-return.ts';

/** The parts of one term that take up what the failover log says is under way. */
export interface TakeUpParts {
  fs: Pick<FarmState, 'farm'>;
  copies: Pick<CopyBacks, 'restore'>;
  handovers: Pick<Handovers, 'resume'>;
  runs: Pick<FailoverRuns, 'restore'>;
  returns: Pick<ServerReturns, 'restore'>;
}

/**
 * Takes up, from the failover log as stored, what an earlier master (or this one before a restart)
 * left under way: copy-back jobs, open failovers and the queue, handovers, failback timers (counted
 * from `now`). Returns the servers found down whose failover was never logged (their leader died
 * between the two writes), for the next tick to fail over; undefined when `over()` (stood down
 * meanwhile): then nothing more is started.
 */
export async function takeUp(
  p: TakeUpParts,
  failovers: readonly FailoverRow[],
  now: number,
  over: () => boolean,
): Promise<string[] | undefined> {
  const orphans = p.fs.farm.servers
    .filter((x) => x.state === 'down' && !failovers.some((f) => f.server === x.id && f.startedAt >= (x.downSince ?? 0)))
    .map((x) => x.id);
  for (const f of failovers) {
    p.copies.restore(f);
    if (f.status !== 'running' && f.status !== 'waiting' && f.status !== 'queued') continue;
    if (f.detail.planned) await p.handovers.resume(f);
    else p.runs.restore(f);
    if (over()) return undefined;
  }
  p.returns.restore(failovers, now);
  return orphans;
}
