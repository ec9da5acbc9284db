import type { Store, FarmSnapshot, ServerState, CameraRow, FailoverRow } from '../store/store.ts';
import { VigilError } from '../lib/errors.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { Logger } from '../lib/log.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { judge, liveBuddies } from './liveness.ts';
import { planFailover, type FailoverPlan } from './planner.ts';
import type { AssignedCamera, Assignment, NodeStatus } from './node-status.ts';

/**
 * A camera as `serverId` records it. Its own storage paths are disks of its home server: elsewhere
 * (after a failover) it records to that server's paths, keeping its own max storage days.
 */
function assignedCamera(c: CameraRow, serverId: string): AssignedCamera {
  let storage = c.storage;
  if (storage && c.home !== serverId) {
    const { paths: _, ...elsewhere } = storage;
    storage = elsewhere;
  }
  return {
    id: c.id,
    url: c.url,
    ...(c.audio !== undefined && { audio: c.audio }),
    ...(c.streams?.length && { streams: c.streams }),
    ...(storage && { storage }),
  };
}

/** Timer lateness beyond which the master counts itself stalled. */
const PAUSE_MS = 500;

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
}
interface FailoverDetail {
  reporters: string[];
  firstReportAt: number;
  confirmedAt: number;
  target?: string;
  reason?: string;
  moves: { camera: string; from: string; to: string; recordingAt?: number }[];
  unrecorded: string[];
  steps: Step[];
  returnedAt?: number;
  [k: string]: unknown;
}
interface OpenFailover {
  id: number;
  server: string;
  status: 'running' | 'waiting';
  detail: FailoverDetail;
}

/**
 * The failover controller on the master: keeps the farm state, hears each recording server's
 * status, judges liveness every tick, and carries out the planner's failovers through the store.
 * Mutations run one at a time through a queue, so a tick and a status never interleave.
 */
export class Controller {
  private farm!: FarmSnapshot;
  private readonly live = new Map<string, Live>();
  private readonly firstSuspectAt = new Map<string, number>();
  private readonly open = new Map<number, OpenFailover>();
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
    for (const f of await this.o.store.failovers())
      if (f.status === 'running' || f.status === 'waiting') this.open.set(f.id, { id: f.id, server: f.server, status: f.status, detail: f.detail as FailoverDetail });
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
    this.o.log.warn({ pausedMs: ms, judgingFrom: this.judgeHeldUntil }, 'master was stalled; judging waits for fresh statuses');
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
      const server = this.farm.servers.find((s) => s.id === serverId);
      if (!server) throw new VigilError('NOT_FOUND', `no server ${serverId}`, 404);
      if (server.state === 'down') throw new VigilError('ALREADY_DOWN', `server ${serverId} is down already`, 409);
      if (!this.farm.cameras.some((c) => c.current === serverId)) throw new VigilError('NOTHING_TO_MOVE', `server ${serverId} holds no cameras`, 409);
      await this.failover(serverId, 'manual', [], this.clock.now());
      const fo = (await this.o.store.failovers()).filter((f) => f.server === serverId).at(-1);
      if (!fo || fo.trigger !== 'manual') throw new VigilError('FAILOVER_FAILED', `failover of ${serverId} could not be carried out; see the master log`, 500);
      return fo;
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

  /**
   * Replaces the configuration (already validated) and tells every server. A camera placed on a
   * server that is down gets the failover it would have had.
   */
  applyConfig(c: FarmConfig): Promise<void> {
    return this.serial(async () => {
      await this.o.store.applyConfig(c);
      this.farm = await this.o.store.snapshot();
      const now = this.clock.now();
      for (const s of this.farm.servers) {
        const busy = [...this.open.values()].some((fo) => fo.server === s.id);
        if (s.state === 'down' && !busy && this.farm.cameras.some((cam) => cam.current === s.id))
          await this.failover(s.id, 'config-change', [], now);
      }
      this.wake();
    });
  }

  /** A status from a recording server: records its segments, and brings a down server back as redundant. */
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
    if (status.segments.length) await this.o.store.addRecordings(serverId, status.segments);
    await this.serial(async () => {
      const server = this.farm.servers.find((s) => s.id === serverId);
      if (!server) return;
      const now = this.clock.now();
      // A server down for its own report (storage, recording) is back only once the report clears.
      if (server.state === 'down' && !status.storage?.allFailed && !status.recordingFailed) await this.returned(serverId, now);
      await this.progress(serverId, status, now);
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
    const f = this.farm;
    const me = f.servers.find((s) => s.id === serverId);
    if (!me) return undefined;
    const port = (s: { udpPort: number | null }) => s.udpPort ?? f.settings.FarmHealthUdpPort;
    const buddyIds = liveBuddies(f.servers).get(serverId) ?? [];
    const now = this.clock.now();
    for (const fo of this.open.values()) {
      if (fo.detail.target === serverId && !fo.detail.steps.some((s) => s.step === 'assigned')) {
        fo.detail.steps.push({ step: 'assigned', at: now, ms: now - fo.detail.confirmedAt });
        void this.serial(() => this.o.store.updateFailover(fo.id, fo.status, fo.detail)).catch((err) => this.o.log.error({ err }, 'failover log update failed'));
      }
    }
    return {
      term: f.term,
      generation: f.generation,
      server: { id: me.id, host: me.host, udpPort: port(me), ...(me.storage && { storage: me.storage }) },
      cameras: f.cameras.filter((c) => c.current === serverId).map((c) => assignedCamera(c, serverId)),
      retentionDays: Object.fromEntries(f.cameras.filter((c) => c.storage?.maxStorageDays !== undefined).map((c) => [c.id, c.storage!.maxStorageDays!])),
      buddies: buddyIds.map((id) => f.servers.find((s) => s.id === id)!).map((s) => ({ id: s.id, host: s.host, port: port(s) })),
      settings: {
        AliveIntervalMs: f.settings.AliveIntervalMs,
        FarmHealthStartDelayMs: f.settings.FarmHealthStartDelayMs,
        FarmHealthSockTimeoutMs: f.settings.FarmHealthSockTimeoutMs,
        FarmHealthMissedUdpMs: f.settings.FarmHealthMissedUdpMs,
        StatusIntervalMs: f.settings.StatusIntervalMs,
      },
    };
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
      [...this.live].map(([id, l]) => [id, { at: l.at, suspects: l.status.suspects, storageFailedSince: l.storageFailedSince, recordingFailedSince: l.recordingFailedSince }]),
    );
    const verdicts = judge({
      servers: this.farm.servers,
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
    for (const fo of [...this.open.values()]) if (fo.status === 'waiting') await this.retryWaiting(fo, now);
  }

  private async setState(id: string, state: ServerState, downSince: number | null): Promise<void> {
    const s = this.farm.servers.find((x) => x.id === id)!;
    s.state = state;
    s.downSince = downSince;
    await this.o.store.setServerState(id, state, downSince);
  }

  private async failover(serverId: string, trigger: string, reporters: string[], now: number): Promise<void> {
    const server = this.farm.servers.find((s) => s.id === serverId)!;
    const before = { state: server.state, downSince: server.downSince };
    const firstReportAt = this.firstSuspectAt.get(serverId) ?? now;
    const detail: FailoverDetail = { reporters, firstReportAt, confirmedAt: now, moves: [], unrecorded: [], steps: [{ step: 'detect', at: now, ms: now - firstReportAt }] };
    this.o.log.warn({ server: serverId, trigger, reporters }, 'server confirmed down');
    try {
      await this.setState(serverId, 'down', now);
      const id = await this.o.store.insertFailover({ startedAt: now, server: serverId, group: server.group, trigger, status: 'running', detail });
      await this.carryOut({ id, server: serverId, status: 'running', detail }, now);
      this.firstSuspectAt.delete(serverId);
    } catch (err) {
      // The store failed part-way: forget the verdict so the next tick judges and tries again.
      this.o.log.error({ err, server: serverId }, 'failover failed; retrying on the next tick');
      server.state = before.state;
      server.downSince = before.downSince;
    } finally {
      this.wake();
    }
  }

  /** Plans and applies; a failover that finds no free server waits and is retried every tick. */
  private async carryOut(fo: OpenFailover, confirmedAt: number): Promise<void> {
    const t0 = this.clock.now();
    const plan: FailoverPlan = planFailover(this.farm, fo.server);
    const planned = this.clock.now();
    fo.detail.steps.push({ step: 'plan', at: planned, ms: planned - t0 });
    fo.detail.unrecorded = plan.unrecorded;
    if (plan.kind === 'move') {
      this.farm.generation = await this.o.store.moveCameras(plan.moves.map((m) => ({ camera: m.camera, to: m.to })));
      for (const m of plan.moves) this.farm.cameras.find((c) => c.id === m.camera)!.current = m.to;
      const committed = this.clock.now();
      fo.detail.steps.push({ step: 'commit', at: committed, ms: committed - planned });
      fo.detail.target = plan.target;
      fo.detail.moves = plan.moves.map((m) => ({ ...m }));
      delete fo.detail.reason;
      fo.status = 'running';
      this.open.set(fo.id, fo);
      this.o.log.warn({ server: fo.server, target: plan.target, cameras: plan.moves.length, unrecorded: plan.unrecorded, sinceConfirmMs: committed - confirmedAt }, 'failover: cameras moved');
    } else {
      this.farm.generation = await this.o.store.bumpGeneration(); // the buddy graph changed
      fo.detail.reason = plan.reason;
      if (plan.kind === 'wait') {
        if (fo.status !== 'waiting') this.o.log.warn({ server: fo.server, reason: plan.reason, unrecorded: plan.unrecorded }, 'failover waiting');
        fo.status = 'waiting';
        this.open.set(fo.id, fo);
      } else {
        this.o.log.warn({ server: fo.server, reason: plan.reason, unrecorded: plan.unrecorded }, 'failover skipped');
        this.open.delete(fo.id);
      }
    }
    await this.o.store.updateFailover(fo.id, plan.kind === 'skip' ? 'skipped' : fo.status, fo.detail);
    this.wake();
  }

  private async retryWaiting(fo: OpenFailover, now: number): Promise<void> {
    const plan = planFailover(this.farm, fo.server);
    if (plan.kind === 'wait') return;
    fo.detail.steps.push({ step: 'resume', at: now, ms: now - fo.detail.confirmedAt });
    await this.carryOut(fo, fo.detail.confirmedAt);
  }

  /** A down server speaks again: it holds whatever was not moved away, and is redundant if that is nothing. */
  private async returned(serverId: string, now: number): Promise<void> {
    await this.setState(serverId, 'up', null);
    for (const fo of this.open.values()) {
      if (fo.server !== serverId) continue;
      fo.detail.returnedAt = now;
      if (fo.status === 'waiting') {
        this.open.delete(fo.id);
        await this.o.store.updateFailover(fo.id, 'cancelled', { ...fo.detail, reason: 'the server came back before a redundant server was free' });
      }
    }
    const held = this.farm.cameras.filter((c) => c.current === serverId).length;
    this.o.log.info({ server: serverId, cameras: held, role: held ? 'active' : 'redundant' }, 'server came back');
    this.farm.generation = await this.o.store.bumpGeneration();
    this.wake();
  }

  /** Marks each moved camera recording once its new server delivers a segment after the failover. */
  private async progress(serverId: string, status: NodeStatus, now: number): Promise<void> {
    for (const fo of this.open.values()) {
      if (fo.status !== 'running' || fo.detail.target !== serverId) continue;
      let changed = false;
      for (const m of fo.detail.moves) {
        if (m.recordingAt) continue;
        if (status.segments.some((s) => s.camera === m.camera && s.endMs > fo.detail.confirmedAt)) {
          m.recordingAt = now;
          fo.detail.steps.push({ step: 'recording', camera: m.camera, at: now, ms: now - fo.detail.confirmedAt });
          changed = true;
        }
      }
      if (!changed) continue;
      const done = fo.detail.moves.every((m) => m.recordingAt);
      if (done) {
        this.open.delete(fo.id);
        this.o.log.info({ server: fo.server, target: serverId, ms: now - fo.detail.confirmedAt }, 'failover done: every moved camera records');
      }
      await this.o.store.updateFailover(fo.id, done ? 'done' : 'running', fo.detail);
    }
  }
}
