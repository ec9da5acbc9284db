import type { Store, FarmSnapshot, FailoverRow } from '../store/store.ts';
import { VigilError, refused } from '../lib/errors.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { Logger } from '../lib/log.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { ServerJudging } from './judge.ts';
import { StatusIntake } from './status-intake.ts';
import type { StoreOutage } from './store-outage.ts';
import { isStoreUnavailable, storeUnavailable } from '../store/unavailable.ts';
import { moveProblems, planFailback, planFailover } from './planner.ts';
import { buildAssignment, type Handover } from './assignment.ts';
import { movedCameraEdits } from './moved-camera-edits.ts';
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

export { HANDOVER_TIMEOUT_MS } from './handovers.ts';

/** Timer lateness beyond which the master counts itself stalled. */
const PAUSE_MS = 500;

/** What the controller is built from; `store` is the farm store (its parts each use a few of its operations). */
export interface ControllerOptions {
  store: Store;
  log: Logger;
  clock?: Clock;
  /** Liveness is judged this often; 0 runs no timer (tests call tick()). */
  tickMs?: number;
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
  private readonly fs: FarmState;
  private readonly heard = new Heard();
  private readonly placement: Placement;
  private readonly copies: CopyBacks;
  private readonly handovers: Handovers;
  private readonly runs: FailoverRuns;
  private readonly returns: ServerReturns;
  private readonly outage: StoreOutage;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: Clock;
  private startedAt = 0;
  private judgeHeldUntil = 0;
  private tickPending = false;
  private readonly judging: ServerJudging;
  private readonly intake: StatusIntake;

  constructor(private readonly o: ControllerOptions) {
    this.clock = o.clock ?? systemClock;
    const parts = controllerParts(o.store, this.clock, o.log, this.heard);
    this.fs = parts.state;
    this.placement = parts.placement;
    this.copies = parts.copies;
    this.handovers = parts.handovers;
    this.runs = parts.runs;
    this.returns = parts.returns;
    this.outage = parts.outage;
    this.intake = new StatusIntake(parts, this.heard, o.store, this.clock, o.log, o.onReconnect);
    this.judging = new ServerJudging({ state: this.fs, heard: this.heard, runs: this.runs, log: o.log });
  }

  /** Reads the farm and takes up open failovers, handovers and copy-backs; starts the tick timer. */
  async start(): Promise<void> {
    await this.fs.reload();
    this.startedAt = this.clock.now();
    for (const f of await this.o.store.failovers()) {
      this.copies.restore(f);
      if (f.status !== 'running' && f.status !== 'waiting' && f.status !== 'queued') continue;
      if (f.detail.planned) await this.handovers.resume(f);
      else this.runs.restore(f);
    }
    const tickMs = this.o.tickMs ?? 100;
    let lastBeat = this.clock.now();
    if (tickMs > 0)
      this.timer = setInterval(() => {
        // A timer this late means the master itself was stalled (starved of CPU, swapped, a long GC):
        // statuses that came meanwhile wait unread in its sockets, so their silence is the master's own.
        const now = this.clock.now();
        if (now - lastBeat > tickMs + PAUSE_MS) this.masterPaused(now, now - lastBeat);
        lastBeat = now;
        if (this.tickPending) return; // a slow store must not pile ticks up
        this.tickPending = true;
        this.tick()
          .catch((err) =>
            // The store's loss is logged once (StoreOutage), not every tick that meets it.
            isStoreUnavailable(err)
              ? this.outage.failed(this.clock.now(), err, 'tick')
              : this.o.log.error({ err }, 'tick failed'),
          )
          .finally(() => {
            this.tickPending = false;
          });
      }, tickMs);
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
    clearInterval(this.timer);
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
   * An operator's failover: the server is taken as down at once (trigger "manual") and its
   * cameras move as for a crash. A server still running comes back at its next status as a
   * redundant server, holding nothing. Returns the failover log entry, which names `actor` (who
   * asked, as actorName names them) when given.
   */
  manualFailover(serverId: string, actor?: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const server = this.fs.server(serverId);
      if (server.state === 'down') throw new VigilError('ALREADY_DOWN', `server ${serverId} is down already`, 409);
      if (!this.fs.group(server.group).triggers.includes('manual'))
        throw new VigilError('TRIGGER_OFF', `manual failover is not a trigger of group ${server.group}`, 409);
      if (!this.fs.farm.cameras.some((c) => c.current === serverId))
        throw new VigilError('NOTHING_TO_MOVE', `server ${serverId} holds no cameras`, 409);
      const { id } = await this.judging.failover(serverId, 'manual', [], this.clock.now(), actor);
      if (this.runs.waitsForStore(serverId))
        throw storeUnavailable(`the failover of ${serverId} is confirmed and waits for it`);
      const fo = id === undefined ? undefined : await this.o.store.failover(id);
      if (!fo)
        throw new VigilError(
          'FAILOVER_FAILED',
          `failover of ${serverId} could not be carried out; see the master log`,
          500,
        );
      return fo;
    });
  }

  /**
   * Maintenance: the server's cameras move away make-before-break (each new server records before
   * this one stops), and it is neither failed over nor a failover target until resumed. The log
   * entry names `actor` when given (so do resume, failback and moveCamera).
   */
  drain(serverId: string, actor?: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const server = this.fs.server(serverId);
      if (server.state === 'down') throw new VigilError('SERVER_DOWN', `server ${serverId} is down`, 409);
      if (server.runtime.maintenance)
        throw new VigilError('ALREADY_DRAINED', `server ${serverId} is in maintenance already`, 409);
      if (this.handovers.busy(serverId))
        throw new VigilError('BUSY', `a handover of server ${serverId} is under way`, 409);
      server.runtime = { ...server.runtime, maintenance: true };
      await this.o.store.setServerRuntime(serverId, server.runtime);
      this.returns.forget(serverId);
      const plan = planFailover(this.planView(), serverId);
      const unrecorded = plan.kind === 'skip' ? [] : plan.unrecorded;
      return this.row(await this.handovers.start(serverId, 'drain', plan.moves, unrecorded, plan.reason, actor));
    });
  }

  /** Ends maintenance: the server's own cameras come back to it, make-before-break. */
  resume(serverId: string, actor?: string): Promise<FailoverRow | undefined> {
    return this.serial(async () => {
      const server = this.fs.server(serverId);
      if (!server.runtime.maintenance)
        throw new VigilError('NOT_DRAINED', `server ${serverId} is not in maintenance`, 409);
      const { maintenance: _, ...rest } = server.runtime;
      server.runtime = rest;
      await this.o.store.setServerRuntime(serverId, rest);
      await this.placement.endRelays(serverId);
      this.fs.farm.generation = await this.o.store.bumpGeneration();
      this.fs.wake();
      const moves = this.failbackMoves(serverId);
      return moves.length
        ? this.row(await this.handovers.start(serverId, 'resume', moves, [], undefined, actor))
        : undefined;
    });
  }

  /** Fails back: the server's own cameras come home make-before-break (their footage is then copied back). */
  failback(serverId: string, actor?: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const server = this.fs.server(serverId);
      if (server.state !== 'up' || server.runtime.maintenance)
        throw new VigilError('NOT_RUNNING', `server ${serverId} is not running`, 409);
      const moves = this.failbackMoves(serverId);
      if (!moves.length)
        throw new VigilError('NOTHING_TO_MOVE', `no camera of server ${serverId} is recorded elsewhere`, 409);
      this.returns.forget(serverId);
      return this.row(await this.handovers.start(serverId, 'failback', moves, [], undefined, actor));
    });
  }

  /** An operator's move of one camera, make-before-break. */
  moveCamera(cameraId: string, to: string, actor?: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const problems = moveProblems(this.planView(), cameraId, to);
      if (this.handovers.has(cameraId)) problems.push(`camera ${cameraId} is being handed over already`);
      if (problems.length)
        throw new VigilError(
          'MOVE_REFUSED',
          `move refused: ${problems.join('; ')}`,
          problems[0].startsWith('no ') ? 404 : 409,
          problems,
        );
      const from = this.fs.camera(cameraId)!.current;
      const move = { camera: cameraId, from, to, mode: 'record' as const };
      return this.row(await this.handovers.start(from, 'move', [move], [], undefined, actor));
    });
  }

  /** The farm generation: it changes whenever some server's assignment may have. */
  get generation(): number {
    return this.fs.farm.generation;
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
   * Replaces the configuration (already validated) and tells every server. Edits of the device or
   * storage settings of a camera that runs away from its home server are refused (XProtect): they
   * would apply to a server that is not the camera's. A camera placed on a server that is down gets
   * the failover it would have had.
   */
  applyConfig(c: FarmConfig): Promise<void> {
    return this.serial(async () => {
      const edits = movedCameraEdits(this.fs.farm.cameras, c.cameras);
      if (edits.length) throw refused('CAMERA_MOVED', 'configuration', edits);
      await this.o.store.applyConfig(c);
      await this.fs.reload();
      const now = this.clock.now();
      await this.handovers.configChanged(now);
      await this.copies.configChanged();
      for (const s of this.fs.farm.servers) {
        const busy = this.runs.hasOpen(s.id) || this.handovers.hasEntryOf(s.id);
        if (s.state === 'down' && !busy && this.fs.farm.cameras.some((cam) => cam.current === s.id))
          await this.judging.failover(s.id, 'config-change', [], now);
      }
      this.fs.wake();
    });
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
    const a = this.assignment(serverId);
    if (!a) return a;
    const at = this.clock.now();
    void this.serial(async () => {
      await this.runs.noteAssigned(serverId, at);
      await this.handovers.noteAssigned(serverId, at);
    }).catch((err) => this.o.log.error({ err }, 'failover log update failed'));
    return a;
  }

  /** The farm as the planner must see it: a camera being handed over counts on its new server. */
  private planView(): FarmSnapshot {
    return this.handovers.planView(this.fs.farm);
  }

  /** The moves that bring a server's own cameras home, but for those being handed over already. */
  private failbackMoves(serverId: string) {
    return planFailback(this.fs.farm, serverId).filter((m) => !this.handovers.has(m.camera));
  }

  private async row(id: number): Promise<FailoverRow> {
    return (await this.o.store.failover(id))!;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async judgeAll(now: number): Promise<void> {
    const s = this.fs.farm.settings;
    await this.runs.retryPending(now);
    if (await this.judging.judgeAll(now, Math.max(this.startedAt + s.FarmHealthStartDelayMs, this.judgeHeldUntil)))
      return;
    await this.runs.tick(now);
    await this.handovers.expire(now);
    await this.returns.autoFailback(now);
    if (this.copies.startDue(now)) {
      this.fs.farm.generation = await this.o.store.bumpGeneration();
      this.fs.wake();
    }
  }
}
