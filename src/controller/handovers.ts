import type { FarmSnapshot, Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import type { Handover } from './assignment.ts';
import type { Move } from './planner.ts';
import type { NodeStatus } from '../protocol/status.ts';
import type { FarmState } from './farm-state.ts';
import type { Placement } from './placement.ts';
import type { CopyBacks } from './copy-backs.ts';
import {
  step,
  withTargets,
  type FailoverDetail,
  type FailoverEntry,
  type PlannedTrigger,
} from '../store/failover-log.ts';

/** A make-before-break move whose new server delivers nothing for this long is abandoned (the old one records on). */
export const HANDOVER_TIMEOUT_MS = 30_000;

/** The store operations handovers use. */
export type HandoverStore = Pick<Store, 'insertFailover' | 'updateFailover' | 'bumpGeneration'>;

/** What handovers need of the controller. */
export interface HandoverParent {
  state: Pick<FarmState, 'farm' | 'server' | 'camera' | 'wake'>;
  placement: Pick<Placement, 'applyMoves' | 'handOver'>;
  copyBacks: Pick<CopyBacks, 'plan'>;
}

/** The log entry of a planned handover while it runs (its status is 'running'). */
interface HandoverEntry {
  id: number;
  server: string;
  detail: FailoverDetail;
}

/**
 * Planned make-before-break handovers (drain, resume, move, failback): each new server is told to
 * record the camera while the old one goes on; ownership changes when the new server delivers a
 * segment, so there is no hole. A handover the master was carrying out when it stopped is taken
 * up again at start. Each is one planned entry of the failover log.
 */
export class Handovers {
  /** Moves under way, by camera. */
  private readonly byCamera = new Map<string, Handover>();
  /** Log entries with moves under way, by id. */
  private readonly entries = new Map<number, HandoverEntry>();

  constructor(
    private readonly p: HandoverParent,
    private readonly store: HandoverStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Moves under way, for assignments and the API. */
  values(): Handover[] {
    return [...this.byCamera.values()];
  }

  /** Whether a camera is being handed over. */
  has(camera: string): boolean {
    return this.byCamera.has(camera);
  }

  /** Whether a server gives or takes a camera in a handover under way. */
  busy(serverId: string): boolean {
    return this.values().some((h) => h.from === serverId || h.to === serverId);
  }

  /** Whether a handover of this server's is open in the log. */
  hasEntryOf(serverId: string): boolean {
    return [...this.entries.values()].some((e) => e.server === serverId);
  }

  /** The in-memory detail of an open handover entry. */
  openDetail(logId: number): FailoverDetail | undefined {
    return this.entries.get(logId)?.detail;
  }

  /** The farm as the planner must see it: a camera being handed over counts on its new server. */
  planView(farm: FarmSnapshot): FarmSnapshot {
    if (!this.byCamera.size) return farm;
    return {
      ...farm,
      cameras: farm.cameras.map((c) => (this.byCamera.has(c.id) ? { ...c, current: this.byCamera.get(c.id)!.to } : c)),
    };
  }

  /**
   * Starts moves of `serverId`'s cameras; live-only moves need no overlap. Returns the log entry's
   * id; `actor` is who asked for it (none for an automatic failback).
   */
  async start(
    serverId: string,
    trigger: PlannedTrigger,
    moves: Move[],
    unrecorded: string[],
    reason?: string,
    actor?: string,
  ): Promise<number> {
    const now = this.clock.now();
    const server = this.p.state.server(serverId);
    const detail = withTargets({
      planned: true,
      reporters: [],
      firstReportAt: now,
      confirmedAt: now,
      moves: moves.map((m) => ({ ...m })),
      unrecorded,
      steps: [step('plan', now, now)],
      ...(reason && { reason }),
      ...(actor !== undefined && { actor }),
    });
    const status = moves.some((m) => m.mode === 'record') ? 'running' : 'done';
    const id = await this.store.insertFailover({
      startedAt: now,
      server: serverId,
      group: server.group,
      trigger,
      status,
      detail,
    });
    const live = moves.filter((m) => m.mode === 'live');
    if (live.length) await this.p.placement.applyMoves(serverId, live);
    for (const m of moves)
      if (m.mode === 'record')
        this.byCamera.set(m.camera, {
          camera: m.camera,
          from: m.from,
          to: m.to,
          startedAt: now,
          reason: trigger,
          logId: id,
        });
    if (status === 'running') this.entries.set(id, { id, server: serverId, detail });
    this.log.info(
      { server: serverId, trigger, moves: moves.map((m) => `${m.camera}→${m.to}`), unrecorded },
      'handover started (make-before-break)',
    );
    this.p.state.farm.generation = await this.store.bumpGeneration();
    this.p.state.wake();
    return id;
  }

  /**
   * A handover the master was carrying out when it stopped goes on: both servers still record (the
   * old one owns the camera in the store), so the new one's next segment completes it. Its timeout
   * starts again. Moves whose camera or server changed meanwhile are dropped.
   */
  async resume(f: FailoverEntry): Promise<void> {
    const { detail } = f;
    const now = this.clock.now();
    const farm = this.p.state.farm;
    const open = detail.moves.filter((m) => m.mode === 'record' && !m.recordingAt && !m.lostAt);
    const camera = (id: string) => farm.cameras.find((c) => c.id === id);
    const pending = open.filter((m) => camera(m.camera)?.current === m.from && farm.servers.some((s) => s.id === m.to));
    // Moved in the store before the stop, but not yet logged (nor its copy-back planned).
    const moved = open.filter((m) => camera(m.camera)?.current === m.to);
    if (!pending.length && !moved.length) {
      await this.store.updateFailover(f.id, 'cancelled', {
        ...detail,
        reason: 'the master restarted during the handover, and none of its moves can go on',
      });
      return;
    }
    detail.steps.push(step('resumed', now, detail.confirmedAt));
    const reason = f.trigger as PlannedTrigger;
    const handovers = [...pending, ...moved].map((m) => ({
      camera: m.camera,
      from: m.from,
      to: m.to,
      startedAt: now,
      reason,
      logId: f.id,
    }));
    for (const h of handovers) this.byCamera.set(h.camera, h);
    this.entries.set(f.id, { id: f.id, server: f.server, detail });
    await this.store.updateFailover(f.id, 'running', detail);
    this.log.info(
      { server: f.server, trigger: f.trigger, moves: pending.map((m) => `${m.camera}→${m.to}`) },
      'handover resumed after a master restart',
    );
    if (moved.length)
      await this.complete(
        handovers.filter((h) => moved.some((m) => m.camera === h.camera)),
        now,
      );
  }

  /** Completes the handovers whose new server delivered a segment of the camera after the move. */
  async recorded(serverId: string, status: NodeStatus, now: number): Promise<void> {
    const arrived = this.values().filter(
      (h) =>
        h.to === serverId && status.segments.some((s) => s.camera === h.camera && !s.stream && s.endMs > h.startedAt),
    );
    if (arrived.length) await this.complete(arrived, now);
  }

  /** A server failed: handovers away from it finish at once (their new server records), those to it are abandoned. */
  async serverFailed(serverId: string, now: number): Promise<void> {
    const away = this.values().filter((h) => h.from === serverId);
    if (away.length) await this.complete(away, now);
    for (const h of this.values().filter((x) => x.to === serverId))
      await this.abandon(h, now, `server ${serverId} failed`);
  }

  /** After a configuration change: handovers whose camera moved elsewhere or whose server is gone are abandoned. */
  async configChanged(now: number): Promise<void> {
    const farm = this.p.state.farm;
    for (const h of this.values())
      if (
        !farm.cameras.some((x) => x.id === h.camera && x.current === h.from) ||
        !farm.servers.some((s) => s.id === h.to)
      )
        await this.abandon(h, now, 'the configuration changed');
  }

  /** Handovers whose new server delivered nothing within HANDOVER_TIMEOUT_MS are abandoned. */
  async expire(now: number): Promise<void> {
    for (const h of this.values())
      if (now - h.startedAt > HANDOVER_TIMEOUT_MS)
        await this.abandon(h, now, `server ${h.to} delivered no segment within ${HANDOVER_TIMEOUT_MS} ms`);
  }

  /** The handovers' server speaks again after a failure. */
  returned(serverId: string, now: number): void {
    for (const e of this.entries.values()) if (e.server === serverId) e.detail.returnedAt = now;
  }

  /** Logs the 'assigned' step of a target that was served its assignment at `at`. */
  async noteAssigned(serverId: string, at: number): Promise<void> {
    for (const e of this.entries.values()) {
      const d = e.detail;
      if (!d.moves.some((m) => m.to === serverId)) continue;
      if (d.steps.some((s) => s.step === 'assigned' && s.server === serverId)) continue;
      d.steps.push(step('assigned', at, d.confirmedAt, { server: serverId }));
      await this.store.updateFailover(e.id, 'running', d);
    }
  }

  /** An entry is over once none of its moves is under way any more. */
  private underWay(e: HandoverEntry): boolean {
    return e.detail.moves.some((m) => this.byCamera.get(m.camera)?.logId === e.id);
  }

  /** The new servers record: ownership moves, and the old servers stop once they see it. */
  private async complete(hs: Handover[], now: number): Promise<void> {
    await this.p.placement.handOver(hs);
    for (const h of hs) {
      this.byCamera.delete(h.camera);
      const e = this.entries.get(h.logId);
      if (!e) continue;
      const m = e.detail.moves.find((x) => x.camera === h.camera);
      if (m) m.recordingAt = now;
      e.detail.steps.push(step('recording', now, e.detail.confirmedAt, { camera: h.camera }));
      const cam = this.p.state.camera(h.camera)!;
      if (h.to === cam.home) {
        const jobs = await this.p.copyBacks.plan(e.id, h.camera, h.to, 1 + (cam.streams?.length ?? 0), now);
        e.detail.copyBack = [...(e.detail.copyBack ?? []), ...jobs];
      }
      const done = !this.underWay(e);
      if (done) {
        this.entries.delete(e.id);
        this.log.info(
          { server: e.server, ms: now - e.detail.confirmedAt },
          'handover done: every camera records on its new server',
        );
      }
      await this.store.updateFailover(e.id, done ? 'done' : 'running', e.detail);
    }
    this.p.state.wake();
  }

  private async abandon(h: Handover, now: number, why: string): Promise<void> {
    this.byCamera.delete(h.camera);
    this.log.warn(
      { camera: h.camera, from: h.from, to: h.to, why },
      'handover abandoned: the camera stays where it records',
    );
    const e = this.entries.get(h.logId);
    if (e) {
      e.detail.steps.push(step('abandoned', now, e.detail.confirmedAt, { camera: h.camera }));
      e.detail.reason = `${h.camera}: ${why}`;
      const pending = this.underWay(e);
      if (!pending) this.entries.delete(e.id);
      await this.store.updateFailover(e.id, pending ? 'running' : 'failed', e.detail);
    }
    this.p.state.farm.generation = await this.store.bumpGeneration();
    this.p.state.wake();
  }
}
