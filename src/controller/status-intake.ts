import type { Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import type { NodeStatus } from '../protocol/status.ts';
import type { ControllerParts } from './parts.ts';
import type { Heard } from './heard.ts';
import { reportableCameras } from './reported-segments.ts';
import { SegmentAdmission } from './segment-admission.ts';
import { StatusOrder, mayRevive } from './status-order.ts';
import { isStoreUnavailable, storeUnavailable } from '../store/unavailable.ts';
import { reconnected } from '../verify/reconcile.ts';

/**
 * What the master does with a recording server's status (run in the controller's queue): drops a
 * stale one (StatusOrder), takes the segments the server may report (SegmentAdmission), records
 * them, brings a down server back when the status is newer than its confirmation (mayRevive),
 * and tells the handovers, failover runs and copy-backs.
 */
export class StatusIntake {
  private readonly order = new StatusOrder();
  private readonly admission: SegmentAdmission;

  constructor(
    private readonly p: ControllerParts,
    private readonly heard: Heard,
    private readonly store: Pick<Store, 'addRecordings' | 'removeSegments'>,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Told after the status of a server's (re)connection (reconnected()): its timeline is reconciled with its index. */
    private readonly onReconnect?: (serverId: string) => void,
  ) {
    this.admission = new SegmentAdmission(log);
  }

  /**
   * A status that arrived at `at`; returns the master's time of the answer. While the store cannot
   * be reached it answers STORE_UNAVAILABLE (503) after hearing the server (its liveness counts
   * all the same); the server keeps its segments and sends them again.
   */
  async take(serverId: string, reported: NodeStatus, at: number): Promise<{ masterTimeMs: number }> {
    try {
      return await this.takeAll(serverId, reported, at);
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      this.p.outage.failed(this.clock.now(), err, `status of ${serverId}`);
      throw storeUnavailable(`the status of ${serverId} is heard, its segments wait for it`);
    }
  }

  private async takeAll(serverId: string, reported: NodeStatus, at: number): Promise<{ masterTimeMs: number }> {
    const { state, placement, returns, handovers, runs, copies, outage } = this.p;
    if (!this.order.admit(serverId, reported)) {
      const { bootId, seq } = reported;
      this.log.debug({ server: serverId, bootId, seq, stale: this.order.staleOf(serverId) }, 'stale status dropped');
      return { masterTimeMs: this.clock.now() };
    }
    const status = this.admitSegments(serverId, reported, at);
    const server = state.farm.servers.find((s) => s.id === serverId);
    const back = reconnected(this.heard.of(serverId), status, server?.state, at, state.farm.settings);
    this.heard.hear(serverId, status, at);
    placement.noteSegments(serverId, status.segments);
    if (status.segments.length) await this.store.addRecordings(serverId, status.segments);
    if (status.removed?.length) await this.store.removeSegments(serverId, status.removed);
    if (status.segments.length || status.removed?.length) outage.answered(this.clock.now());
    if (!server) return { masterTimeMs: this.clock.now() };
    const now = this.clock.now();
    // A server down for its own report (storage, recording) is back only once the report clears.
    const clear = !status.storage?.allFailed && !status.recordingFailed;
    if (server.state === 'down' && clear && mayRevive(status, server.downSince)) await returns.returned(serverId, now);
    await handovers.recorded(serverId, status, now);
    await runs.recorded(serverId, status.segments, now);
    if (status.copyBack?.length) await copies.progress(serverId, status.copyBack);
    if (back) this.onReconnect?.(serverId);
    return { masterTimeMs: this.clock.now() };
  }

  /** How many segments of a server's statuses were refused since the master started. */
  refusedSegmentsOf(id: string): number {
    return this.admission.refusedOf(id);
  }

  /** How many statuses of a server were dropped as older than one taken already, since the master started. */
  staleStatusesOf(id: string): number {
    return this.order.staleOf(id);
  }

  /** The status with only the segments the server may report (SegmentAdmission). */
  private admitSegments(serverId: string, status: NodeStatus, now: number): NodeStatus {
    const allowed = reportableCameras(this.p.state.farm, serverId, {
      handovers: this.p.handovers.values(),
      recordFrom: this.p.placement.recordFrom,
    });
    return this.admission.admit(serverId, status, allowed, now);
  }
}
