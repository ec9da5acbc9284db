import type { Store, FarmSnapshot, ServerState, FailoverRow, GroupRow } from '../store/store.ts';
import { VigilError } from '../lib/errors.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { Logger } from '../lib/log.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { judge } from './liveness.ts';
import { moveProblems, planFailback, planFailover, type FailoverPlan, type Move } from './planner.ts';
import { buildAssignment, type Handover } from './assignment.ts';
import { movedCameraEdits } from './moved-camera-edits.ts';
import { copyBackJobs, type CopyBackJob } from './copy-back-jobs.ts';
import type { Assignment } from '../protocol/assignment.ts';
import type { NodeStatus } from '../protocol/status.ts';

/** Timer lateness beyond which the master counts itself stalled. */
const PAUSE_MS = 500;
/** A make-before-break move whose new server delivers nothing for this long is abandoned (the old one records on). */
export const HANDOVER_TIMEOUT_MS = 30_000;
/** A queued failover waits at most this long for the one before it in its group. */
const QUEUE_MAX_WAIT_MS = 15_000;

export interface ControllerOptions {
  store: Store;
  log: Logger;
  clock?: Clock;
  /** Liveness is judged this often; 0 runs no timer (tests call tick()). */
  tickMs?: number;
}

interface Live {
  at: number;
  bootId: string;
  status: NodeStatus;
  /** Since when its statuses say all its storage failed / recording cannot start (undefined: they do not). */
  storageFailedSince?: number;
  recordingFailedSince?: number;
}

interface Step {
  step: string;
  at: number;
  ms: number;
  camera?: string;
  /** The target an "assigned" step is about. */
  server?: string;
}
interface FailoverDetail {
  reporters: string[];
  firstReportAt: number;
  confirmedAt: number;
  /** Every server that took cameras; `target` is the first, kept for readers of the spine's log. */
  targets?: string[];
  target?: string;
  reason?: string;
  /** lostAt: the target failed before it recorded the camera (a later failover moved it on). */
  moves: {
    camera: string;
    from: string;
    to: string;
    mode?: 'record' | 'live';
    recordingAt?: number;
    lostAt?: number;
  }[];
  unrecorded: string[];
  steps: Step[];
  returnedAt?: number;
  [k: string]: unknown;
}
type OpenStatus = 'running' | 'waiting' | 'queued' | 'done';
interface OpenFailover {
  id: number;
  server: string;
  group: number;
  status: OpenStatus;
  /** planned: a make-before-break handover (drain, move, failback), not a failure. */
  planned?: boolean;
  detail: FailoverDetail;
}

/**
 * The failover controller on the master: keeps the farm state, hears each recording server's
 * status, judges liveness every tick, and carries out the planner's failovers and planned handovers
 * through the store. Mutations run one at a time through a queue, so a tick and a status never
 * interleave. Failovers of one group are carried out one at a time (Mirasys' queue).
 */
export class Controller {
  private farm!: FarmSnapshot;
  private readonly live = new Map<string, Live>();
  private readonly firstSuspectAt = new Map<string, number>();
  private readonly open = new Map<number, OpenFailover>();
  /** Make-before-break moves under way, by camera. */
  private readonly handovers = new Map<string, Handover>();
  /** Hot standby takeovers: where the new owner keeps its pre-buffer from, by camera. */
  private readonly recordFrom = new Map<string, number>();
  /** The end of the latest segment each server reported, by `camera@server` (main stream). */
  private readonly lastEnd = new Map<string, number>();
  /** Servers back after a failure whose group fails back automatically: since when they are healthy. */
  private readonly healthySince = new Map<string, number>();
  /** Copy-back jobs not finished yet, by id (also kept in their failback's log entry). */
  private readonly copyJobs = new Map<string, CopyBackJob>();
  private waiters: (() => void)[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: Clock;
  private startedAt = 0;
  private judgeHeldUntil = 0;
  private tickPending = false;
  private closed = false;

  constructor(private readonly o: ControllerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  async start(): Promise<void> {
    this.farm = await this.o.store.snapshot();
    this.startedAt = this.clock.now();
    for (const f of await this.o.store.failovers()) {
      for (const j of ((f.detail as FailoverDetail).copyBack ?? []) as CopyBackJob[])
        if (j.state !== 'done' && j.state !== 'failed') this.copyJobs.set(j.id, j);
      if (f.status !== 'running' && f.status !== 'waiting' && f.status !== 'queued') continue;
      const detail = f.detail as FailoverDetail;
      if (detail.planned) {
        await this.resumeHandovers(f, detail);
        continue;
      }
      this.open.set(f.id, { id: f.id, server: f.server, group: f.group, status: f.status as OpenStatus, detail });
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
          .catch((err) => this.o.log.error({ err }, 'tick failed'))
          .finally(() => (this.tickPending = false));
      }, tickMs);
  }

  /** After a stall of the master, nobody is judged until the servers have had time to report again. */
  masterPaused(now: number, ms: number): void {
    this.judgeHeldUntil = Math.max(this.judgeHeldUntil, now + 2 * this.farm.settings.StatusIntervalMs);
    this.o.log.warn(
      { pausedMs: ms, judgingFrom: this.judgeHeldUntil },
      'master was stalled; judging waits for fresh statuses',
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.chain.catch(() => {});
    this.wake();
  }

  /** Judges every server once and carries out what follows (called by the timer). */
  tick(): Promise<void> {
    return this.serial(() => this.judgeAll());
  }

  /**
   * An operator's failover: the server is taken as down at once (trigger "manual") and its
   * cameras move as for a crash. A server still running comes back at its next status as a
   * redundant server, holding nothing. Returns the failover log entry.
   */
  manualFailover(serverId: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const server = this.server(serverId);
      if (server.state === 'down') throw new VigilError('ALREADY_DOWN', `server ${serverId} is down already`, 409);
      if (!this.group(server.group).triggers.includes('manual'))
        throw new VigilError('TRIGGER_OFF', `manual failover is not a trigger of group ${server.group}`, 409);
      if (!this.farm.cameras.some((c) => c.current === serverId))
        throw new VigilError('NOTHING_TO_MOVE', `server ${serverId} holds no cameras`, 409);
      await this.failover(serverId, 'manual', [], this.clock.now());
      const fo = (await this.o.store.failovers()).filter((f) => f.server === serverId).at(-1);
      if (fo?.trigger !== 'manual')
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
   * this one stops), and it is neither failed over nor a failover target until resumed.
   */
  drain(serverId: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const server = this.server(serverId);
      if (server.state === 'down') throw new VigilError('SERVER_DOWN', `server ${serverId} is down`, 409);
      if (server.runtime.maintenance)
        throw new VigilError('ALREADY_DRAINED', `server ${serverId} is in maintenance already`, 409);
      if (this.busy(serverId)) throw new VigilError('BUSY', `a handover of server ${serverId} is under way`, 409);
      server.runtime = { ...server.runtime, maintenance: true };
      await this.o.store.setServerRuntime(serverId, server.runtime);
      this.healthySince.delete(serverId);
      const plan = planFailover(this.planView(), serverId);
      const id = await this.handOver(
        serverId,
        'drain',
        plan.moves,
        plan.kind === 'skip' ? [] : plan.unrecorded,
        plan.reason,
      );
      return this.row(id);
    });
  }

  /** Ends maintenance: the server's own cameras come back to it, make-before-break. */
  resume(serverId: string): Promise<FailoverRow | undefined> {
    return this.serial(async () => {
      const server = this.server(serverId);
      if (!server.runtime.maintenance)
        throw new VigilError('NOT_DRAINED', `server ${serverId} is not in maintenance`, 409);
      const { maintenance: _, ...rest } = server.runtime;
      server.runtime = rest;
      await this.o.store.setServerRuntime(serverId, rest);
      await this.endRelays(serverId);
      this.farm.generation = await this.o.store.bumpGeneration();
      this.wake();
      const moves = planFailback(this.farm, serverId).filter((m) => !this.handovers.has(m.camera));
      return moves.length ? this.row(await this.handOver(serverId, 'resume', moves, [])) : undefined;
    });
  }

  /** Fails back: the server's own cameras come home make-before-break (their footage is then copied back). */
  failback(serverId: string): Promise<FailoverRow> {
    return this.serial(async () => {
      const server = this.server(serverId);
      if (server.state !== 'up' || server.runtime.maintenance)
        throw new VigilError('NOT_RUNNING', `server ${serverId} is not running`, 409);
      const moves = planFailback(this.farm, serverId).filter((m) => !this.handovers.has(m.camera));
      if (!moves.length)
        throw new VigilError('NOTHING_TO_MOVE', `no camera of server ${serverId} is recorded elsewhere`, 409);
      this.healthySince.delete(serverId);
      return this.row(await this.handOver(serverId, 'failback', moves, []));
    });
  }

  /** An operator's move of one camera, make-before-break. */
  moveCamera(cameraId: string, to: string): Promise<FailoverRow> {
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
      const cam = this.farm.cameras.find((c) => c.id === cameraId)!;
      return this.row(
        await this.handOver(cam.current, 'move', [{ camera: cameraId, from: cam.current, to, mode: 'record' }], []),
      );
    });
  }

  get generation(): number {
    return this.farm.generation;
  }

  state(): FarmSnapshot {
    return this.farm;
  }

  liveOf(id: string): Live | undefined {
    return this.live.get(id);
  }

  /** Copy-back jobs, unfinished first, for the API. */
  copyBacks(): CopyBackJob[] {
    return [...this.copyJobs.values()];
  }

  /** Handovers under way (make-before-break moves), for the API. */
  handoversUnderWay(): Handover[] {
    return [...this.handovers.values()];
  }

  /**
   * Replaces the configuration (already validated) and tells every server. Edits of the device or
   * storage settings of a camera that runs away from its home server are refused (XProtect): they
   * would apply to a server that is not the camera's. A camera placed on a server that is down gets
   * the failover it would have had.
   */
  applyConfig(c: FarmConfig): Promise<void> {
    return this.serial(async () => {
      const refused = movedCameraEdits(this.farm.cameras, c.cameras);
      if (refused.length)
        throw new VigilError(
          'CAMERA_MOVED',
          `configuration refused, ${refused.length} problem(s):\n- ${refused.join('\n- ')}`,
          409,
          refused,
        );
      await this.o.store.applyConfig(c);
      this.farm = await this.o.store.snapshot();
      const now = this.clock.now();
      for (const [camera, h] of [...this.handovers])
        if (
          !this.farm.cameras.some((x) => x.id === camera && x.current === h.from) ||
          !this.farm.servers.some((s) => s.id === h.to)
        )
          await this.abandonHandover(h, now, 'the configuration changed');
      for (const j of this.copyJobs.values())
        if (!this.farm.servers.some((s) => s.id === j.source) || !this.farm.servers.some((s) => s.id === j.home)) {
          j.state = 'failed';
          j.error = 'its server is no longer in the configuration';
          await this.saveCopyJobs(j.logId);
        }
      for (const [id, j] of this.copyJobs) if (j.state === 'failed') this.copyJobs.delete(id);
      for (const s of this.farm.servers) {
        const busy = [...this.open.values()].some((fo) => fo.server === s.id);
        if (s.state === 'down' && !busy && this.farm.cameras.some((cam) => cam.current === s.id))
          await this.failover(s.id, 'config-change', [], now);
      }
      this.wake();
    });
  }

  /** A status from a recording server: records its segments, and brings a down server back. */
  async onStatus(serverId: string, status: NodeStatus): Promise<void> {
    if (!this.farm.servers.some((s) => s.id === serverId)) return;
    // Liveness counts from the arrival of the status, not from when the queue gets to it.
    const at = this.clock.now();
    const prev = this.live.get(serverId);
    this.live.set(serverId, {
      at,
      bootId: status.bootId,
      status,
      storageFailedSince: status.storage?.allFailed ? (prev?.storageFailedSince ?? at) : undefined,
      recordingFailedSince: status.recordingFailed ? (prev?.recordingFailedSince ?? at) : undefined,
    });
    for (const seg of status.segments) {
      if (seg.stream) continue;
      const key = `${seg.camera}@${serverId}`;
      this.lastEnd.set(key, Math.max(this.lastEnd.get(key) ?? 0, seg.endMs));
    }
    if (status.segments.length) await this.o.store.addRecordings(serverId, status.segments);
    await this.serial(async () => {
      const server = this.farm.servers.find((s) => s.id === serverId);
      if (!server) return;
      const now = this.clock.now();
      // A server down for its own report (storage, recording) is back only once the report clears.
      if (server.state === 'down' && !status.storage?.allFailed && !status.recordingFailed)
        await this.returned(serverId, now);
      await this.progress(serverId, status, now);
      if (status.copyBack?.length) await this.copyProgress(serverId, status.copyBack);
    });
  }

  /** Resolves when the farm generation differs from `after`, or after timeoutMs. */
  waitForChange(after: number, timeoutMs: number): Promise<void> {
    if (this.farm.generation !== after || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, timeoutMs);
      this.waiters.push(done);
    });
  }

  /** The cameras, buddies and settings of one recording server. */
  assignment(serverId: string): Assignment | undefined {
    const now = this.clock.now();
    for (const fo of this.open.values()) {
      if (
        fo.status === 'running' &&
        fo.detail.moves.some((m) => m.to === serverId) &&
        !fo.detail.steps.some((s) => s.step === 'assigned' && s.server === serverId)
      ) {
        fo.detail.steps.push({ step: 'assigned', server: serverId, at: now, ms: now - fo.detail.confirmedAt });
        void this.serial(() => this.o.store.updateFailover(fo.id, fo.status, fo.detail)).catch((err) =>
          this.o.log.error({ err }, 'failover log update failed'),
        );
      }
    }
    const copyBack = [...this.copyJobs.values()]
      .filter(
        (j) =>
          j.home === serverId &&
          j.state !== 'done' &&
          j.state !== 'failed' &&
          j.notBefore <= now &&
          this.sourceReady(j.source),
      )
      .map((j) => ({
        id: j.id,
        camera: j.camera,
        stream: j.stream,
        source: { server: j.source, url: this.live.get(j.source)!.status.apiUrl! },
        fromMs: j.fromMs,
        toMs: j.toMs,
      }));
    return buildAssignment(this.farm, serverId, {
      handovers: this.handovers.values(),
      recordFrom: this.recordFrom,
      copyBack,
    });
  }

  /** The farm as the planner must see it: a camera being handed over counts on its new server. */
  private planView(): FarmSnapshot {
    if (!this.handovers.size) return this.farm;
    return {
      ...this.farm,
      cameras: this.farm.cameras.map((c) =>
        this.handovers.has(c.id) ? { ...c, current: this.handovers.get(c.id)!.to } : c,
      ),
    };
  }

  private server(id: string) {
    const s = this.farm.servers.find((x) => x.id === id);
    if (!s) throw new VigilError('NOT_FOUND', `no server ${id}`, 404);
    return s;
  }

  private group(id: number): GroupRow {
    return (
      this.farm.groups.find((g) => g.id === id) ?? {
        id,
        redundancy: false,
        policy: 'spare',
        onReturn: 'spare',
        triggers: [],
        failoverServers: [],
        secondaryFailoverServers: [],
      }
    );
  }

  private busy(serverId: string): boolean {
    return [...this.handovers.values()].some((h) => h.from === serverId || h.to === serverId);
  }

  private async row(id: number): Promise<FailoverRow> {
    return (await this.o.store.failovers()).find((f) => f.id === id)!;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private async judgeAll(): Promise<void> {
    const now = this.clock.now();
    const s = this.farm.settings;
    const reports = new Map(
      [...this.live].map(([id, l]) => [
        id,
        {
          at: l.at,
          suspects: l.status.suspects,
          storageFailedSince: l.storageFailedSince,
          recordingFailedSince: l.recordingFailedSince,
        },
      ]),
    );
    const verdicts = judge({
      servers: this.farm.servers.map((x) => ({
        ...x,
        triggers: this.group(x.group).triggers,
        maintenance: x.runtime.maintenance,
      })),
      reports,
      now,
      missedMs: s.FarmHealthMissedUdpMs,
      statusIntervalMs: s.StatusIntervalMs,
      judgeFrom: Math.max(this.startedAt + s.FarmHealthStartDelayMs, this.judgeHeldUntil),
    });
    for (const server of this.farm.servers) {
      const v = verdicts.get(server.id)!;
      if (server.state === 'down') continue;
      if (v.reporters.length && !this.firstSuspectAt.has(server.id)) this.firstSuspectAt.set(server.id, now);
      if (!v.reporters.length && v.state === 'up') this.firstSuspectAt.delete(server.id);
      if (v.state === 'down') {
        // The buddy graph changes with each server down: judge the others again on the next tick.
        await this.failover(server.id, v.trigger!, v.reporters, now);
        return;
      } else if (v.state !== server.state) {
        this.o.log.info({ server: server.id, state: v.state, reporters: v.reporters }, 'server state');
        server.state = v.state;
      }
    }
    for (const fo of [...this.open.values()]) {
      if (fo.status === 'waiting') await this.retryWaiting(fo, now);
      else if (fo.status === 'queued' && !this.queueAhead(fo, now)) {
        fo.detail.steps.push({ step: 'dequeued', at: now, ms: now - fo.detail.confirmedAt });
        await this.carryOut(fo, fo.detail.confirmedAt);
      }
    }
    await this.expireHandovers(now);
    await this.autoFailback(now);
    const due = [...this.copyJobs.values()].filter(
      (j) => j.state === 'pending' && j.notBefore <= now && this.sourceReady(j.source),
    );
    if (due.length) {
      for (const j of due) j.state = 'running';
      this.farm.generation = await this.o.store.bumpGeneration();
      this.wake();
    }
  }

  /** A copy-back source is handed out only while it runs and has told where its API listens. */
  private sourceReady(id: string): boolean {
    return this.farm.servers.find((s) => s.id === id)?.state !== 'down' && !!this.live.get(id)?.status.apiUrl;
  }

  /** Progress of copy-back jobs from their home server; a finished one's source intervals are forgotten. */
  private async copyProgress(serverId: string, reported: NonNullable<NodeStatus['copyBack']>): Promise<void> {
    const touched = new Set<number>();
    for (const r of reported) {
      const j = this.copyJobs.get(r.id);
      if (!j || j.home !== serverId) continue;
      const { segments, segmentsDone, bytes, bytesDone, percent, rateBytesPerSec, etaMs } = r;
      const before = JSON.stringify([j.state, j.progress]);
      j.progress = { segments, segmentsDone, bytes, bytesDone, percent, rateBytesPerSec, etaMs };
      if (r.state === 'done') {
        j.state = 'done';
        // The footage is home, verified, and released at the source: playback finds it at home now.
        await this.o.store.removeRecordings(j.camera, j.source, j.fromMs, j.toMs, j.stream);
        this.o.log.info({ job: j.id, bytes: r.bytesDone, segments: r.segmentsDone }, 'copy-back done');
      } else if (r.state === 'failed') {
        j.state = 'failed';
        j.error = r.error;
        this.o.log.error({ job: j.id, error: r.error }, 'copy-back failed; the footage stays where it is');
      } else j.state = 'running';
      if (JSON.stringify([j.state, j.progress]) !== before) touched.add(j.logId);
    }
    for (const logId of touched) await this.saveCopyJobs(logId);
    for (const [id, j] of this.copyJobs) if (j.state === 'done' || j.state === 'failed') this.copyJobs.delete(id);
  }

  /** Writes the jobs of a failback into its log entry (progress included). */
  private async saveCopyJobs(logId: number): Promise<void> {
    const row = await this.o.store.failover(logId);
    if (!row) return;
    const detail = row.detail as FailoverDetail;
    const jobs = ((detail.copyBack ?? []) as CopyBackJob[]).map((old) => this.copyJobs.get(old.id) ?? old);
    const fo = this.open.get(logId);
    if (fo) fo.detail.copyBack = jobs;
    await this.o.store.updateFailover(logId, row.status, { ...detail, copyBack: jobs });
  }

  /** A running failover of the same group, started before `fo` and not yet done (nor too old). */
  private queueAhead(fo: OpenFailover, now: number): boolean {
    return [...this.open.values()].some(
      (o) =>
        o.id < fo.id &&
        o.group === fo.group &&
        !o.planned &&
        o.status === 'running' &&
        now - o.detail.confirmedAt < QUEUE_MAX_WAIT_MS,
    );
  }

  private async setState(id: string, state: ServerState, downSince: number | null): Promise<void> {
    const s = this.farm.servers.find((x) => x.id === id)!;
    s.state = state;
    s.downSince = downSince;
    await this.o.store.setServerState(id, state, downSince);
  }

  private async failover(serverId: string, trigger: string, reporters: string[], now: number): Promise<void> {
    const server = this.farm.servers.find((s) => s.id === serverId)!;
    const before = {
      state: server.state,
      downSince: server.downSince,
      held: this.farm.cameras.filter((c) => c.current === serverId).map((c) => c.id),
    };
    const firstReportAt = this.firstSuspectAt.get(serverId) ?? now;
    const detail: FailoverDetail = {
      reporters,
      firstReportAt,
      confirmedAt: now,
      moves: [],
      unrecorded: [],
      steps: [{ step: 'detect', at: now, ms: now - firstReportAt }],
    };
    this.o.log.warn({ server: serverId, trigger, reporters }, 'server confirmed down');
    let id: number | undefined;
    try {
      await this.setState(serverId, 'down', now);
      this.healthySince.delete(serverId);
      // Handovers away from the failed server finish at once: their new server already records.
      const away = [...this.handovers.values()].filter((h) => h.from === serverId);
      if (away.length) await this.completeHandovers(away, now);
      for (const h of [...this.handovers.values()].filter((x) => x.to === serverId))
        await this.abandonHandover(h, now, `server ${serverId} failed`);
      for (const o of [...this.open.values()]) {
        if (o.planned || !o.detail.moves.some((m) => m.to === serverId && !m.recordingAt && !m.lostAt)) continue;
        for (const m of o.detail.moves) if (m.to === serverId && !m.recordingAt) m.lostAt = now;
        this.closeIfDone(o);
        await this.o.store.updateFailover(o.id, o.status, o.detail);
      }
      const ahead = [...this.open.values()].some(
        (o) =>
          o.group === server.group &&
          !o.planned &&
          o.status === 'running' &&
          now - o.detail.confirmedAt < QUEUE_MAX_WAIT_MS,
      );
      const status: OpenStatus = ahead ? 'queued' : 'running';
      if (ahead) detail.steps.push({ step: 'queued', at: now, ms: 0 });
      id = await this.o.store.insertFailover({
        startedAt: now,
        server: serverId,
        group: server.group,
        trigger,
        status,
        detail,
      });
      const fo: OpenFailover = { id, server: serverId, group: server.group, status, detail };
      if (ahead) {
        this.open.set(id, fo);
        this.farm.generation = await this.o.store.bumpGeneration(); // the buddy graph changed
        this.o.log.warn({ server: serverId }, 'failover queued behind another one in its group');
      } else await this.carryOut(fo, now);
      this.firstSuspectAt.delete(serverId);
    } catch (err) {
      // The store failed part-way: forget the verdict so the next tick judges and tries again.
      this.o.log.error({ err, server: serverId }, 'failover failed; retrying on the next tick');
      await this.undoFailover(serverId, before, id, detail, err);
    } finally {
      this.wake();
    }
  }

  /**
   * A failover the store failed in part-way is taken back as far as the store lets: its log entry
   * ends 'failed', the server's state is the one before, and memory is read back from the store, so
   * memory and store agree (e.g. on cameras whose move was committed) before the next tick judges again.
   */
  private async undoFailover(
    serverId: string,
    before: { state: ServerState; downSince: number | null; held: string[] },
    id: number | undefined,
    detail: FailoverDetail,
    err: unknown,
  ): Promise<void> {
    if (id !== undefined) this.open.delete(id);
    const { held } = before;
    try {
      const stored = await this.o.store.snapshot();
      // Moves the store committed stand: then the server stays down (its return ends relays and
      // starts failback as usual) and the entry waits, so the next tick moves what is left.
      const committed = stored.cameras.some((c) => held.includes(c.id) && (c.current !== serverId || c.runtime.relay));
      const reason = `the farm store failed: ${err instanceof Error ? err.message : String(err)}`;
      if (committed && id !== undefined) {
        for (const c of stored.cameras.filter(
          (x) => held.includes(x.id) && !detail.moves.some((m) => m.camera === x.id),
        )) {
          if (c.current !== serverId)
            detail.moves.push({ camera: c.id, from: serverId, to: c.current, mode: 'record' });
          else if (c.runtime.relay)
            detail.moves.push({ camera: c.id, from: serverId, to: c.runtime.relay, mode: 'live' });
        }
        await this.o.store.updateFailover(id, 'waiting', { ...detail, reason });
        this.farm = await this.o.store.snapshot();
        this.open.set(id, {
          id,
          server: serverId,
          group: this.server(serverId).group,
          status: 'waiting',
          detail: { ...detail, reason },
        });
        return;
      }
      if (id !== undefined) await this.o.store.updateFailover(id, 'failed', { ...detail, reason });
      await this.o.store.setServerState(serverId, before.state, before.downSince);
      this.farm = await this.o.store.snapshot();
    } catch (again) {
      // The store is still out: at least memory forgets the verdict; the next failover writes all again.
      this.o.log.error({ err: again, server: serverId }, 'cannot take the failed failover back in the store');
      const server = this.farm.servers.find((s) => s.id === serverId);
      if (server) Object.assign(server, { state: before.state, downSince: before.downSince });
    }
  }

  /** Plans and applies; cameras that find no free server wait and are retried every tick. */
  private async carryOut(fo: OpenFailover, confirmedAt: number): Promise<void> {
    const t0 = this.clock.now();
    const plan: FailoverPlan = planFailover(this.planView(), fo.server);
    const planned = this.clock.now();
    fo.detail.steps.push({ step: 'plan', at: planned, ms: planned - t0 });
    fo.detail.unrecorded = plan.unrecorded;
    if (plan.kind === 'move') {
      await this.applyMoves(fo.server, plan.moves);
      const committed = this.clock.now();
      fo.detail.steps.push({ step: 'commit', at: committed, ms: committed - planned });
      fo.detail.moves.push(...plan.moves.map((m) => ({ ...m })));
      fo.detail.targets = [...new Set(fo.detail.moves.map((m) => m.to))].sort();
      fo.detail.target = fo.detail.targets[0];
      fo.status = plan.waiting.length ? 'waiting' : 'running';
      if (plan.reason) fo.detail.reason = plan.reason;
      else delete fo.detail.reason;
      this.open.set(fo.id, fo);
      this.closeIfDone(fo);
      this.o.log.warn(
        {
          server: fo.server,
          targets: fo.detail.targets,
          cameras: plan.moves.length,
          waiting: plan.waiting,
          unrecorded: plan.unrecorded,
          sinceConfirmMs: committed - confirmedAt,
        },
        'failover: cameras moved',
      );
    } else {
      this.farm.generation = await this.o.store.bumpGeneration(); // the buddy graph changed
      fo.detail.reason = plan.reason;
      if (plan.kind === 'wait') {
        if (fo.status !== 'waiting')
          this.o.log.warn({ server: fo.server, reason: plan.reason, unrecorded: plan.unrecorded }, 'failover waiting');
        fo.status = 'waiting';
        this.open.set(fo.id, fo);
      } else if (fo.detail.moves.length) {
        fo.status = 'running'; // an earlier part moved; the rest can never move
        this.closeIfDone(fo);
      } else {
        this.o.log.warn({ server: fo.server, reason: plan.reason, unrecorded: plan.unrecorded }, 'failover skipped');
        this.open.delete(fo.id);
      }
    }
    await this.o.store.updateFailover(
      fo.id,
      plan.kind === 'skip' && !fo.detail.moves.length ? 'skipped' : fo.status,
      fo.detail,
    );
    this.wake();
  }

  /** A running failover whose every recorded move records (or whose target failed meanwhile) is done. */
  private closeIfDone(fo: OpenFailover): void {
    if (
      fo.status !== 'running' ||
      fo.planned ||
      !fo.detail.moves.every((m) => m.mode === 'live' || m.recordingAt || m.lostAt)
    )
      return;
    fo.status = 'done';
    this.open.delete(fo.id);
  }

  /** Commits moves of a failed server: recorded ones change owner, live-only ones get a relay. */
  private async applyMoves(from: string, moves: Move[]): Promise<void> {
    const recorded = moves.filter((m) => m.mode === 'record');
    const group = this.group(this.server(from).group);
    for (const m of recorded) {
      // A hot standby keeps its pre-buffer from where the failed server's footage ends: no hole.
      const to = this.server(m.to);
      if (group.policy === 'hot') {
        const end = this.lastEnd.get(`${m.camera}@${from}`);
        if (end !== undefined && to.id !== from) this.recordFrom.set(m.camera, end);
      } else this.recordFrom.delete(m.camera);
    }
    if (recorded.length)
      this.farm.generation = await this.o.store.moveCameras(recorded.map((m) => ({ camera: m.camera, to: m.to })));
    for (const m of recorded)
      Object.assign(this.farm.cameras.find((c) => c.id === m.camera)!, { current: m.to, runtime: {} });
    const live = moves.filter((m) => m.mode === 'live');
    if (live.length) {
      this.farm.generation = await this.o.store.setCameraRuntime(
        live.map((m) => ({ camera: m.camera, runtime: { relay: m.to } })),
      );
      for (const m of live) this.farm.cameras.find((c) => c.id === m.camera)!.runtime = { relay: m.to };
    }
  }

  private async retryWaiting(fo: OpenFailover, now: number): Promise<void> {
    const plan = planFailover(this.planView(), fo.server);
    if (plan.kind === 'wait') return;
    fo.detail.steps.push({ step: 'resume', at: now, ms: now - fo.detail.confirmedAt });
    await this.carryOut(fo, fo.detail.confirmedAt);
  }

  /**
   * A down server speaks again. By its group's choice it comes back empty as a spare (Symphony),
   * swaps roles with the server that took over (Mirasys), or gets its cameras back (XProtect:
   * after failbackAfterMs of health, or when an operator asks).
   */
  private async returned(serverId: string, now: number): Promise<void> {
    await this.setState(serverId, 'up', null);
    const server = this.server(serverId);
    const group = this.group(server.group);
    let taker: string | undefined;
    for (const fo of this.open.values()) {
      if (fo.server !== serverId) continue;
      fo.detail.returnedAt = now;
      if (fo.status === 'waiting' || fo.status === 'queued') {
        this.open.delete(fo.id);
        await this.o.store.updateFailover(fo.id, 'cancelled', {
          ...fo.detail,
          reason: 'the server came back before a redundant server was free',
        });
      }
    }
    const last = (await this.o.store.failovers())
      .filter((f) => f.server === serverId && !(f.detail as FailoverDetail).planned)
      .at(-1);
    const targets = (last?.detail as FailoverDetail | undefined)?.targets ?? [];
    if (targets.length === 1) taker = targets[0];
    await this.endRelays(serverId);
    let role = this.farm.cameras.some((c) => c.current === serverId) ? 'active' : 'redundant';
    if (group.onReturn === 'swap' && taker && this.farm.servers.some((s) => s.id === taker)) {
      const other = this.server(taker);
      for (const s of this.farm.servers)
        if (s.runtime.swappedWith === serverId || s.runtime.swappedWith === taker) s.runtime = withoutSwap(s.runtime);
      server.runtime = { ...server.runtime, swappedWith: taker };
      other.runtime = { ...other.runtime, swappedWith: serverId };
      for (const s of this.farm.servers) await this.o.store.setServerRuntime(s.id, s.runtime);
      role = `swapped with ${taker}`;
    }
    if (group.onReturn === 'failback') {
      if (group.failbackAfterMs !== undefined) this.healthySince.set(serverId, now);
      role =
        group.failbackAfterMs !== undefined
          ? `fails back after ${group.failbackAfterMs} ms of health`
          : 'fails back on request';
    }
    this.o.log.info({ server: serverId, role }, 'server came back');
    this.farm.generation = await this.o.store.bumpGeneration();
    this.wake();
  }

  /** Live relays of a server's cameras end: they are its own again. */
  private async endRelays(serverId: string): Promise<void> {
    const relayed = this.farm.cameras.filter((c) => c.current === serverId && c.runtime.relay);
    if (!relayed.length) return;
    this.farm.generation = await this.o.store.setCameraRuntime(relayed.map((c) => ({ camera: c.id, runtime: {} })));
    for (const c of relayed) c.runtime = {};
  }

  /** Automatic failback of servers that have been healthy for their group's failbackAfterMs. */
  private async autoFailback(now: number): Promise<void> {
    for (const [id, since] of [...this.healthySince]) {
      const server = this.farm.servers.find((s) => s.id === id);
      const after = server && this.group(server.group).failbackAfterMs;
      if (!server || after === undefined || server.state === 'down' || server.runtime.maintenance) {
        this.healthySince.delete(id);
        continue;
      }
      if (server.state !== 'up') this.healthySince.set(id, now); // suspect: health counts anew
      if (server.state !== 'up' || now - since < after || this.busy(id)) continue;
      this.healthySince.delete(id);
      const moves = planFailback(this.farm, id).filter((m) => !this.handovers.has(m.camera));
      if (moves.length) await this.handOver(id, 'failback', moves, []);
    }
  }

  /**
   * Starts make-before-break moves: each new server is told to record the camera while the old one
   * goes on; ownership changes when the new server delivers a segment (progress), so there is no
   * hole. Logged as a planned entry of the failover log. Live-only moves need no overlap.
   */
  private async handOver(
    serverId: string,
    trigger: string,
    moves: Move[],
    unrecorded: string[],
    reason?: string,
  ): Promise<number> {
    const now = this.clock.now();
    const server = this.server(serverId);
    const detail: FailoverDetail = {
      planned: true,
      reporters: [],
      firstReportAt: now,
      confirmedAt: now,
      moves: moves.map((m) => ({ ...m })),
      targets: [...new Set(moves.map((m) => m.to))].sort(),
      unrecorded,
      steps: [{ step: 'plan', at: now, ms: 0 }],
      ...(reason && { reason }),
    };
    detail.target = detail.targets![0];
    const status = moves.some((m) => m.mode === 'record') ? 'running' : 'done';
    const id = await this.o.store.insertFailover({
      startedAt: now,
      server: serverId,
      group: server.group,
      trigger,
      status,
      detail,
    });
    const live = moves.filter((m) => m.mode === 'live');
    if (live.length) await this.applyMoves(serverId, live);
    for (const m of moves)
      if (m.mode === 'record')
        this.handovers.set(m.camera, {
          camera: m.camera,
          from: m.from,
          to: m.to,
          startedAt: now,
          reason: trigger,
          logId: id,
        });
    if (status === 'running')
      this.open.set(id, { id, server: serverId, group: server.group, status, planned: true, detail });
    this.o.log.info(
      { server: serverId, trigger, moves: moves.map((m) => `${m.camera}→${m.to}`), unrecorded },
      'handover started (make-before-break)',
    );
    this.farm.generation = await this.o.store.bumpGeneration();
    this.wake();
    return id;
  }

  /**
   * A handover the master was carrying out when it stopped goes on: both servers still record (the
   * old one owns the camera in the store), so the new one's next segment completes it. Its timeout
   * starts again. Moves whose camera or server changed meanwhile are dropped.
   */
  private async resumeHandovers(f: FailoverRow, detail: FailoverDetail): Promise<void> {
    const now = this.clock.now();
    const open = detail.moves.filter((m) => m.mode === 'record' && !m.recordingAt && !m.lostAt);
    const camera = (id: string) => this.farm.cameras.find((c) => c.id === id);
    const pending = open.filter(
      (m) => camera(m.camera)?.current === m.from && this.farm.servers.some((s) => s.id === m.to),
    );
    // Moved in the store before the stop, but not yet logged (nor its copy-back planned).
    const moved = open.filter((m) => camera(m.camera)?.current === m.to);
    if (!pending.length && !moved.length) {
      await this.o.store.updateFailover(f.id, 'cancelled', {
        ...detail,
        reason: 'the master restarted during the handover, and none of its moves can go on',
      });
      return;
    }
    detail.steps.push({ step: 'resumed', at: now, ms: now - detail.confirmedAt });
    const handovers = [...pending, ...moved].map((m) => ({
      camera: m.camera,
      from: m.from,
      to: m.to,
      startedAt: now,
      reason: f.trigger,
      logId: f.id,
    }));
    for (const h of handovers) this.handovers.set(h.camera, h);
    this.open.set(f.id, { id: f.id, server: f.server, group: f.group, status: 'running', planned: true, detail });
    await this.o.store.updateFailover(f.id, 'running', detail);
    this.o.log.info(
      { server: f.server, trigger: f.trigger, moves: pending.map((m) => `${m.camera}→${m.to}`) },
      'handover resumed after a master restart',
    );
    if (moved.length)
      await this.completeHandovers(
        handovers.filter((h) => moved.some((m) => m.camera === h.camera)),
        now,
      );
  }

  /** The new servers record: ownership moves, and the old servers stop once they see it. */
  private async completeHandovers(hs: Handover[], now: number): Promise<void> {
    this.farm.generation = await this.o.store.moveCameras(hs.map((h) => ({ camera: h.camera, to: h.to })));
    for (const h of hs) {
      this.handovers.delete(h.camera);
      this.recordFrom.delete(h.camera);
      Object.assign(this.farm.cameras.find((c) => c.id === h.camera)!, { current: h.to, runtime: {} });
      const fo = this.open.get(h.logId);
      if (!fo) continue;
      const m = fo.detail.moves.find((x) => x.camera === h.camera);
      if (m) m.recordingAt = now;
      fo.detail.steps.push({ step: 'recording', camera: h.camera, at: now, ms: now - fo.detail.confirmedAt });
      const cam = this.farm.cameras.find((c) => c.id === h.camera)!;
      if (h.to === cam.home) {
        const streams = 1 + (cam.streams?.length ?? 0);
        const intervals = await Promise.all(
          Array.from({ length: streams }, (_, n) => this.o.store.recordings(h.camera, 0, now + 86_400_000, n)),
        );
        const jobs = copyBackJobs(fo.id, h.camera, h.to, intervals, now);
        for (const j of jobs) this.copyJobs.set(j.id, j);
        fo.detail.copyBack = [...((fo.detail.copyBack ?? []) as CopyBackJob[]), ...jobs];
        if (jobs.length)
          this.o.log.info(
            { camera: h.camera, jobs: jobs.map((j) => j.id) },
            'copy-back planned: footage recorded elsewhere comes home',
          );
      }
      const done = fo.detail.moves.every((x) => x.mode === 'live' || x.recordingAt || !this.handovers.has(x.camera));
      if (done) {
        this.open.delete(fo.id);
        this.o.log.info(
          { server: fo.server, ms: now - fo.detail.confirmedAt },
          'handover done: every camera records on its new server',
        );
      }
      await this.o.store.updateFailover(fo.id, done ? 'done' : 'running', fo.detail);
    }
    this.wake();
  }

  private async abandonHandover(h: Handover, now: number, why: string): Promise<void> {
    this.handovers.delete(h.camera);
    this.o.log.warn(
      { camera: h.camera, from: h.from, to: h.to, why },
      'handover abandoned: the camera stays where it records',
    );
    const fo = this.open.get(h.logId);
    if (fo) {
      fo.detail.steps.push({ step: 'abandoned', camera: h.camera, at: now, ms: now - fo.detail.confirmedAt });
      fo.detail.reason = `${h.camera}: ${why}`;
      const pending = fo.detail.moves.some((x) => this.handovers.get(x.camera)?.logId === fo.id);
      if (!pending) this.open.delete(fo.id);
      await this.o.store.updateFailover(fo.id, pending ? 'running' : 'failed', fo.detail);
    }
    this.farm.generation = await this.o.store.bumpGeneration();
    this.wake();
  }

  private async expireHandovers(now: number): Promise<void> {
    for (const h of [...this.handovers.values()])
      if (now - h.startedAt > HANDOVER_TIMEOUT_MS)
        await this.abandonHandover(h, now, `server ${h.to} delivered no segment within ${HANDOVER_TIMEOUT_MS} ms`);
  }

  /** Marks moved cameras recording once their new server delivers a segment after the move. */
  private async progress(serverId: string, status: NodeStatus, now: number): Promise<void> {
    const arrived = [...this.handovers.values()].filter(
      (h) =>
        h.to === serverId && status.segments.some((s) => s.camera === h.camera && !s.stream && s.endMs > h.startedAt),
    );
    if (arrived.length) await this.completeHandovers(arrived, now);
    for (const fo of this.open.values()) {
      if (fo.status === 'queued' || fo.planned || !fo.detail.moves.some((m) => m.to === serverId)) continue;
      let changed = false;
      for (const m of fo.detail.moves) {
        if (m.recordingAt || m.to !== serverId || m.mode === 'live') continue;
        if (status.segments.some((s) => s.camera === m.camera && s.endMs > fo.detail.confirmedAt)) {
          m.recordingAt = now;
          fo.detail.steps.push({ step: 'recording', camera: m.camera, at: now, ms: now - fo.detail.confirmedAt });
          changed = true;
        }
      }
      if (!changed) continue;
      const done =
        fo.status === 'running' && fo.detail.moves.every((m) => m.recordingAt || m.lostAt || m.mode === 'live');
      if (done) {
        this.open.delete(fo.id);
        this.o.log.info(
          { server: fo.server, targets: fo.detail.targets, ms: now - fo.detail.confirmedAt },
          'failover done: every moved camera records',
        );
      }
      await this.o.store.updateFailover(fo.id, done ? 'done' : fo.status, fo.detail);
    }
  }
}

function withoutSwap<T extends { swappedWith?: string }>(r: T): T {
  const { swappedWith: _, ...rest } = r;
  return rest as T;
}
