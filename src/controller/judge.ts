import type { Logger } from '../lib/log.ts';
import type { FailureTrigger } from '../store/failover-log.ts';
import { judge } from './liveness.ts';
import type { FarmState } from './farm-state.ts';
import type { Heard } from './heard.ts';
import type { FailoverRuns } from './failover-runs.ts';

/** What judging the servers needs of the controller. */
export interface JudgeParent {
  state: Pick<FarmState, 'farm' | 'group'>;
  heard: Pick<Heard, 'reports'>;
  runs: Pick<FailoverRuns, 'failover'>;
  log: Logger;
}

/**
 * The liveness verdicts of every tick carried out: a server judged down is failed over, a
 * suspect one is marked so, and the time of a server's first report is kept for its failover's
 * "detect" step until a failover of it stands.
 */
export class ServerJudging {
  private readonly firstSuspectAt = new Map<string, number>();

  constructor(private readonly p: JudgeParent) {}

  /**
   * Judges every server once (liveness.ts) and fails over the first one found down; returns
   * whether it did, since the buddy graph changes with each server down and the others must be
   * judged again on the next tick. Nobody is judged before `judgeFrom`.
   */
  async judgeAll(now: number, judgeFrom: number): Promise<boolean> {
    const { farm } = this.p.state;
    const s = farm.settings;
    const verdicts = judge({
      servers: farm.servers.map((x) => ({
        ...x,
        triggers: this.p.state.group(x.group).triggers,
        maintenance: x.runtime.maintenance,
      })),
      reports: this.p.heard.reports(),
      now,
      missedMs: s.FarmHealthMissedUdpMs,
      statusIntervalMs: s.StatusIntervalMs,
      judgeFrom,
    });
    for (const server of farm.servers) {
      const v = verdicts.get(server.id)!;
      if (server.state === 'down') continue;
      if (v.reporters.length && !this.firstSuspectAt.has(server.id)) this.firstSuspectAt.set(server.id, now);
      if (!v.reporters.length && v.state === 'up') this.firstSuspectAt.delete(server.id);
      if (v.state === 'down') {
        await this.failover(server.id, v.trigger!, v.reporters, now);
        return true;
      }
      if (v.state !== server.state) {
        this.p.log.info({ server: server.id, state: v.state, reporters: v.reporters }, 'server state');
        server.state = v.state;
      }
    }
    return false;
  }

  /** A failover; the first report of the server is forgotten once it stands. */
  async failover(serverId: string, trigger: FailureTrigger, reporters: string[], now: number, actor?: string) {
    const firstReportAt = this.firstSuspectAt.get(serverId) ?? now;
    const r = await this.p.runs.failover(serverId, trigger, reporters, firstReportAt, now, actor);
    if (r.ok) this.firstSuspectAt.delete(serverId);
    return r;
  }
}
