import type { Store, FarmSnapshot, FailoverRow } from '../store/store.ts';
import { fencedAs } from '../store/fenced-view.ts';
import { takeUp } from './take-up.ts';
import { VigilError } from '../lib/errors.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { Logger } from '../lib/log.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { ServerJudging } from './judge.ts';
import { StatusIntake } from './status-intake.ts';
import type { StoreOutage } from './store-outage.ts';
import { isStoreUnavailable } from '../store/unavailable.ts';
import { buildAssignment, type Handover } from './assignment.ts';
import type { Assignment } from '../protocol/assignment.ts';
import type { NodeStatus } from '../protocol/status.ts';
import type { CopyBackJob } from '../store/failover-log.ts';
import type { FarmState } from './farm-state.ts';
import type { Placement } from './placement.ts';
import type { CopyBacks } from './copy-backs.ts';
import type { Handovers } from './handovers.ts';
import type { FailoverRuns } from './failover-runs.ts';
import type { ServerReturns } from './server-return.ts';
import { Heard, apiUrlOf, type Live } from './heard.ts';
import { controllerParts } from './parts.ts';
import { startTicks } from './tick-timer.ts';
import { faultPoint } from '../lib/fault-point.ts';
import * as actions from './operator-actions.ts';

export { HANDOVER_TIMEOUT_MS } from './handovers.ts';

/** What the controller is built from; `store` is the farm store (its parts each use a few of its operations). */
export interface ControllerOptions {
  store: Store;
  log: Logger;
  clock?: Clock;
  /** Liveness is judged this often; 0 runs no timer (tests call tick()). */
  tickMs?: number;
  /**
   * Whether this master may decide now (Leadership.leading: its lease is surely its own); checked
   * synchronously before every tick, action, status and assignment. Default: always (one master).
   */
  deciding?: () => boolean;
  /** The key `from` signs its Alive datagrams to `to` with (aliveKeyring; each assignment carries its pairs'). */
  aliveKeyOf: (from: string, to: string) => Buffer;
  /** Called after the status of a server's (re)connection (reconnected()): its timeline is reconciled with its index. */
  onReconnect?: (serverId: string) => void;
}

/**
 * The failover controller on the master: keeps the farm state, hears each recording server's
 * status, judges liveness every tick, and dispatches to its parts: failover runs (failover-runs.ts,
 * each one a state machine in failover-run.ts), planned handovers (handovers.ts), copy-back
 * tracking (copy-backs.ts) and servers' return with automatic failback (server-return.ts).
 * Every mutation, a status included, runs one at a time through a queue, so a tick and a status
 * never interleave. Failovers of one group are carried out one at a time (Mirasys' queue).
 */
export class Controller {
  // The parts hold one term's memory of the farm: built anew by start() under a new term.
  private fs!: FarmState;
  private heard!: Heard;
  private placement!: Placement;
  private copies!: CopyBacks;
  private handovers!: Handovers;
  private runs!: FailoverRuns;
  private returns!: ServerReturns;
  private outage!: StoreOutage;
  private judging!: ServerJudging;
  private intake!: StatusIntake;
  /** The store as this term's parts write to it (fenced by their term); epoch: a start() stood down midway stops. */
  private store!: Store;
  private epoch = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private stopTicks: () => void = () => {};
  private stopped = false;
  private readonly clock: Clock;
  private startedAt = 0;
  private judgeDelayMs: number | undefined;
  private orphans: string[] = [];
  private judgeHeldUntil = 0;

  constructor(private readonly o: ControllerOptions) {
    this.clock = o.clock ?? systemClock;
    this.assemble();
  }

  private assemble(term?: number): void {
    const o = this.o;
    this.heard = new Heard();
    this.judgeHeldUntil = 0;
    // A write of an earlier term's parts (one that waited on the store across a takeover) keeps that
    // term's fence, and is refused, whatever fence this master holds by then.
    this.store = term === undefined ? o.store : fencedAs(o.store, o.store.fence);
    const parts = controllerParts(this.store, this.clock, o.log, this.heard, term);
    this.fs = parts.state;
    this.placement = parts.placement;
    this.copies = parts.copies;
    this.handovers = parts.handovers;
    this.runs = parts.runs;
    this.returns = parts.returns;
    this.outage = parts.outage;
    this.intake = new StatusIntake(parts, this.heard, this.store, this.clock, o.log, o.onReconnect);
    this.judging = new ServerJudging({ state: this.fs, heard: this.heard, runs: this.runs, log: o.log });
  }

  /**
   * Reads the farm and takes up what is under way (take-up.ts); starts the tick timer. With `term`
   * (a master that took the lease) the parts are built anew: nothing of an earlier term is kept in
   * memory, what the master heard restarts from nothing, and judging waits FarmHealthStartDelayMs of
   * its own hearing, never taken as already elapsed; after a `takeover` (its servers find the new
   * master within a second) 2 × StatusIntervalMs instead, if shorter. The generation is bumped, so
   * every server hears the new term at once.
   */
  async start(lead: { term?: number; takeover?: boolean } = {}): Promise<void> {
    this.stopTicks();
    if (lead.term !== undefined) this.assemble(lead.term);
    this.stopped = false;
    const epoch = ++this.epoch;
    const over = () => epoch !== this.epoch;
    await this.fs.reload();
    this.startedAt = this.clock.now();
    const s = this.fs.farm.settings;
    this.judgeDelayMs = lead.takeover ? Math.min(s.FarmHealthStartDelayMs, 2 * s.StatusIntervalMs) : undefined;
    const failovers = await this.store.failovers();
    const orphans = over() ? undefined : await takeUp(this.actionParts(), failovers, this.clock.now(), over);
    if (!orphans) return;
    this.orphans = orphans;
    if (lead.term !== undefined) {
      this.fs.farm.generation = await this.store.bumpGeneration();
      if (over()) return;
      this.fs.wake();
    }
    this.startTicking();
  }

  private startTicking(): void {
    this.stopTicks();
    const tick = () => this.tick().catch((err) => this.tickFailed(err));
    const ms = this.o.tickMs ?? 100;
    if (ms > 0)
      this.stopTicks = startTicks(
        ms,
        () => this.clock.now(),
        tick,
        (at, late) => this.masterPaused(at, late),
      );
  }

  /** The store's loss is logged once (StoreOutage), not every tick that meets it; a fenced write by the lease. */
  private tickFailed(err: unknown): void {
    if (isStoreUnavailable(err)) this.outage.failed(this.clock.now(), err, 'tick');
    else if (!(err instanceof VigilError && err.code === 'NOT_LEADER')) this.o.log.error({ err }, 'tick failed');
  }

  /**
   * Decides again under `term` after standing down, when no other master led in between (its term
   * is the next one): memory still agrees with the store, whose writes failed meanwhile, so a verdict
   * waiting for the store stands and is carried out now. What was heard is stale by the pause:
   * nobody is judged until the servers have reported again (as after a stall of the master).
   */
  async leadAgain(term: number): Promise<void> {
    this.fs.term = term;
    this.fs.farm.term = term;
    // These parts carry on under the next term: their writes are fenced by it now.
    this.store.fence = this.o.store.fence;
    const now = this.clock.now();
    this.stopped = false;
    const epoch = ++this.epoch;
    this.judgeHeldUntil = Math.max(this.judgeHeldUntil, now + 2 * this.fs.farm.settings.StatusIntervalMs);
    this.outage.answered(now);
    this.fs.farm.generation = await this.store.bumpGeneration();
    if (epoch !== this.epoch) return;
    this.fs.wake();
    this.startTicking();
  }

  /**
   * Stops deciding at once (the lease is not surely this master's): no tick, no action, no status
   * taken, and every long poll ends (its server asks again and finds the leader). What is under way
   * in the queue fails at the store's fence. start() with the next term takes up the farm again.
   */
  standDown(): void {
    this.stopped = true;
    this.epoch++;
    this.stopTicks();
    this.fs.wake();
  }

  /** After a stall of the master, nobody is judged until the servers have had time to report again. */
  masterPaused(now: number, ms: number): void {
    this.judgeHeldUntil = Math.max(this.judgeHeldUntil, now + 2 * this.fs.farm.settings.StatusIntervalMs);
    this.o.log.warn(
      { pausedMs: ms, judgingFrom: this.judgeHeldUntil },
      'master was stalled; judging waits for fresh statuses',
    );
  }

  /** Stops the timer, waits for the queue and ends every long poll. */
  async close(): Promise<void> {
    this.fs.close();
    this.stopped = true;
    this.stopTicks();
    await this.chain.catch(() => {});
    this.fs.wake();
  }

  /**
   * Judges every server once and carries out what follows (called by the timer). The judgement is
   * of the time of the call: statuses that come while it waits in the queue are after it.
   */
  tick(): Promise<void> {
    const now = this.clock.now();
    return this.serial(() => this.judgeAll(now));
  }

  /**
   * An operator's failover: the server is taken as down at once (trigger "manual") and its cameras
   * move as for a crash (operator-actions.ts, as are drain, resume, failback and moveCamera).
   * Returns the failover log entry, which names `actor` (who asked) when given.
   */
  manualFailover(serverId: string, actor?: string): Promise<FailoverRow> {
    return this.serial(() => actions.manualFailover(this.actionParts(), serverId, actor));
  }

  /** Maintenance: the server's cameras move away make-before-break; it is neither failed over nor a target until resumed. */
  drain(serverId: string, actor?: string): Promise<FailoverRow> {
    return this.serial(() => actions.drain(this.actionParts(), serverId, actor));
  }

  /** Ends maintenance: the server's own cameras come back to it, make-before-break. */
  resume(serverId: string, actor?: string): Promise<FailoverRow | undefined> {
    return this.serial(() => actions.resume(this.actionParts(), serverId, actor));
  }

  /** Fails back: the server's own cameras come home make-before-break (their footage is then copied back). */
  failback(serverId: string, actor?: string): Promise<FailoverRow> {
    return this.serial(() => actions.failback(this.actionParts(), serverId, actor));
  }

  /** An operator's move of one camera, make-before-break. */
  moveCamera(cameraId: string, to: string, actor?: string): Promise<FailoverRow> {
    return this.serial(() => actions.moveCamera(this.actionParts(), cameraId, to, actor));
  }

  /** The farm generation: it changes whenever some server's assignment may have (0 on a standby that never led). */
  get generation(): number {
    return (this.fs.farm as FarmSnapshot | undefined)?.generation ?? 0;
  }

  /** Whether the farm store is known unreachable (from its last failure until it answers again). */
  get storeLost(): boolean {
    return this.outage.lost;
  }

  /** The farm as the controller sees it. */
  state(): FarmSnapshot {
    return this.fs.farm;
  }

  /** What the master last heard from a server. */
  liveOf(id: string): Live | undefined {
    return this.heard.of(id);
  }

  /**
   * Where a configured server's API listens: its configured host and the port its status reported;
   * undefined while it has not reported one. The one address the master calls a server at.
   */
  apiUrlOf(id: string): string | undefined {
    return apiUrlOf(
      this.fs.farm.servers.find((s) => s.id === id),
      this.heard.of(id),
    );
  }

  /** A server spoke without a status (it enrolled now): its silence counts from here (Heard.contact). */
  contacted(id: string): void {
    this.heard.contact(id, this.clock.now());
  }

  /** How many segments of a server's statuses were refused since the master started (cameras it may not report). */
  refusedSegmentsOf(id: string): number {
    return this.intake.refusedSegmentsOf(id);
  }

  /** Copy-back jobs, unfinished first, for the API. */
  copyBacks(): CopyBackJob[] {
    return this.copies.list();
  }

  /** Handovers under way (make-before-break moves), for the API. */
  handoversUnderWay(): Handover[] {
    return this.handovers.values();
  }

  /**
   * Replaces the configuration (already validated) and tells every server. Device or storage edits
   * of a camera that runs away from its home are refused (XProtect: they would apply to a server not
   * the camera's); a camera placed on a server that is down gets the failover it would have had.
   */
  applyConfig(c: FarmConfig): Promise<void> {
    return this.serial(() => actions.applyConfig(this.actionParts(), c));
  }

  /**
   * A status from a recording server (StatusIntake: ordered, its segments recorded, a down server
   * brought back). All of it happens in the queue; its liveness counts from its arrival, not from
   * when the queue gets to it. Returns the master's time of the answer (the server's answeredAtMs).
   */
  async onStatus(serverId: string, reported: NodeStatus): Promise<{ masterTimeMs: number }> {
    const at = this.clock.now();
    if (!this.fs.farm.servers.some((s) => s.id === serverId)) return { masterTimeMs: at };
    return this.serial(() => this.intake.take(serverId, reported, at));
  }

  /** How many statuses of a server were dropped as older than one taken already, since the master started. */
  staleStatusesOf(id: string): number {
    return this.intake.staleStatusesOf(id);
  }

  /** Resolves when the farm generation differs from `after`, after timeoutMs, or when `signal` aborts. */
  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.fs.waitForChange(after, timeoutMs, signal);
  }

  /** The cameras, buddies and settings of one recording server. Only reads. */
  assignment(serverId: string): Assignment | undefined {
    return buildAssignment(this.fs.farm, serverId, {
      handovers: this.handovers.values(),
      recordFrom: this.placement.recordFrom,
      aliveKeyOf: this.o.aliveKeyOf,
      copyBack: this.copies.forHome(serverId, this.clock.now()),
      copySources: this.copies.forSource(serverId),
    });
  }

  /**
   * The assignment served to the server itself (its long poll): `assignment()`, and the "assigned"
   * step of the failovers and handovers it carries is logged, timed now, from the queue.
   */
  serveAssignment(serverId: string): Assignment | undefined {
    this.mustDecide();
    if (this.runs.awaitsAssignment(serverId)) faultPoint('failover-delivery');
    const a = this.assignment(serverId);
    if (!a) return a;
    const at = this.clock.now();
    void this.serial(async () => {
      await this.runs.noteAssigned(serverId, at);
      await this.handovers.noteAssigned(serverId, at);
    }).catch((err) => this.o.log.error({ err }, 'failover log update failed'));
    return a;
  }

  /** The parts the operator's actions use, of the current term. */
  private actionParts(): actions.ActionParts {
    return {
      fs: this.fs,
      store: this.store,
      clock: this.clock,
      judging: this.judging,
      runs: this.runs,
      handovers: this.handovers,
      returns: this.returns,
      placement: this.placement,
      copies: this.copies,
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = () => {
      this.mustDecide();
      return fn();
    };
    const run = this.chain.then(guarded, guarded);
    this.chain = run.catch(() => {});
    return run;
  }

  /** NOT_LEADER unless this master may decide now (stood down, or its lease not surely its own). */
  private mustDecide(): void {
    if (this.stopped || (this.o.deciding && !this.o.deciding()))
      throw new VigilError('NOT_LEADER', 'this master does not lead the farm now');
  }

  private async judgeAll(now: number): Promise<void> {
    const s = this.fs.farm.settings;
    await this.runs.retryPending(now);
    for (const id of this.orphans.splice(0)) {
      this.o.log.warn({ server: id }, 'taken up: a server found down whose failover was never logged');
      await this.judging.failover(id, 'takeover', [], now);
    }
    const from = this.startedAt + (this.judgeDelayMs ?? s.FarmHealthStartDelayMs);
    if (await this.judging.judgeAll(now, Math.max(from, this.judgeHeldUntil))) return;
    await this.runs.tick(now);
    await this.handovers.expire(now);
    await this.returns.autoFailback(now);
    if (this.copies.startDue(now)) {
      this.fs.farm.generation = await this.store.bumpGeneration();
      this.fs.wake();
    }
  }
}
