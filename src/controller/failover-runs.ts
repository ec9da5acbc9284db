import type { ServerState, Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import { planFailover } from './planner.ts';
import type { FarmState } from './farm-state.ts';
import type { Placement } from './placement.ts';
import type { Handovers } from './handovers.ts';
import type { FailoverEntry, FailureTrigger } from '../store/failover-log.ts';
import { advance, isOpen, newRun, type FailoverRun, type RunEvent } from './failover-run.ts';
import type { StoreOutage } from './store-outage.ts';
import { faultPoint } from '../lib/fault-point.ts';
import { isStoreUnavailable } from '../store/unavailable.ts';

/** A queued failover waits at most this long for the one before it in its group. */
const QUEUE_MAX_WAIT_MS = 15_000;

/** The store operations failover runs use. */
export type RunStore = Pick<
  Store,
  'insertFailover' | 'updateFailover' | 'bumpGeneration' | 'snapshot' | 'setServerState'
>;

/** A failover as it was confirmed. */
interface FailoverArgs {
  serverId: string;
  trigger: FailureTrigger;
  reporters: string[];
  firstReportAt: number;
  confirmedAt: number;
  actor?: string;
}

/** A confirmed failover waiting for the store: its entry and run if they were written, the server's state before it. */
interface PendingFailover extends FailoverArgs {
  id?: number;
  run?: FailoverRun;
  before: { state: ServerState; downSince: number | null; held: string[] };
}

/** What failover runs need of the controller. */
export interface RunParent {
  state: Pick<FarmState, 'farm' | 'server' | 'setState' | 'wake' | 'reload'>;
  placement: Pick<Placement, 'applyMoves'>;
  handovers: Pick<Handovers, 'serverFailed' | 'planView'>;
  /** A server confirmed down is not healthy any more (automatic failback counts anew). */
  unhealthy(serverId: string): void;
}

/**
 * The failovers of failed servers not over yet: carries each one out through its state machine
 * (failover-run.ts), one at a time per group (Mirasys' queue), retries the waiting ones every
 * tick, and takes a failover the store failed part-way back.
 */
export class FailoverRuns {
  private readonly open = new Map<number, FailoverRun>();
  /** Restored runs that were confirmed and never committed: planned again at the next tick. */
  private readonly uncommitted = new Set<number>();
  /** The latest state of the run being carried out, for taking it back when the store fails. */
  private current: FailoverRun | undefined;
  /** Failovers confirmed while the store could not be reached, by server: they wait for it. */
  private readonly pending = new Map<string, PendingFailover>();

  constructor(
    private readonly p: RunParent,
    private readonly store: RunStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly outage: StoreOutage,
  ) {}

  /** Takes up an open failover read from the store at start. */
  restore(f: FailoverEntry): void {
    this.open.set(f.id, { id: f.id, server: f.server, group: f.group, status: f.status, detail: f.detail });
    // Confirmed, not committed (the master that confirmed it died before the commit, which writes
    // the moves and the entry in one transaction): it is planned again, on the farm as it is now.
    if (f.status === 'running' && !f.detail.steps.some((s) => s.step === 'commit')) this.uncommitted.add(f.id);
  }

  /** Whether `serverId` is the target of a committed move no assignment has carried yet (fault points). */
  awaitsAssignment(serverId: string): boolean {
    return [...this.open.values()].some(
      (r) =>
        !r.detail.steps.some((s) => s.step === 'assigned') &&
        r.detail.moves.some((m) => m.to === serverId && m.mode === 'record' && m.recordingAt === undefined),
    );
  }

  /** Whether a failover of this server is open (or waits for the store). */
  hasOpen(serverId: string): boolean {
    return this.pending.has(serverId) || [...this.open.values()].some((r) => r.server === serverId);
  }

  /**
   * Fails a server over: marks it down, finishes or abandons its handovers, and carries the
   * failover out (or queues it behind another one of its group). When the store cannot be reached
   * the verdict stands in memory and the failover waits for the store (retryPending); when the
   * store fails otherwise part-way it is taken back (see undo). `id` is its log entry when one was
   * written; `ok` says it stands.
   */
  async failover(
    serverId: string,
    trigger: FailureTrigger,
    reporters: string[],
    firstReportAt: number,
    now: number,
    actor?: string,
  ): Promise<{ id?: number; ok: boolean }> {
    this.log.warn({ server: serverId, trigger, reporters }, 'server confirmed down');
    return this.carry({ serverId, trigger, reporters, firstReportAt, confirmedAt: now, actor });
  }

  /**
   * Failovers waiting for the store are tried again, with backoff (StoreOutage), from the tick: when
   * the store answers, memory is read back from it and each is carried out on its own log entry (the
   * one written before the store went, if any), so one fault keeps one entry.
   */
  async retryPending(now: number): Promise<void> {
    if (!this.pending.size || !this.outage.due(now)) return;
    let stored: Awaited<ReturnType<RunStore['snapshot']>>;
    try {
      stored = await this.store.snapshot();
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      this.outage.failed(now, err, 'failover');
      return;
    }
    this.outage.answered(this.clock.now());
    // Those back meanwhile (their return was taken in memory) have nothing to carry out; judged
    // before any is carried out, since each reads memory back from the store.
    const waiting = [...this.pending].filter(
      ([id]) => this.p.state.farm.servers.find((s) => s.id === id)?.state === 'down',
    );
    this.pending.clear();
    if (!waiting.length) return;
    // Memory read back, with the verdicts the store has not taken yet kept in it at once (no
    // answer of the API in between sees them up).
    await this.p.state.reload();
    for (const [id, p] of waiting) {
      const s = this.p.state.farm.servers.find((x) => x.id === id);
      if (s && s.state !== 'down') Object.assign(s, { state: 'down', downSince: p.confirmedAt });
    }
    for (const [i, [serverId, p]] of waiting.entries()) {
      const { held } = p.before;
      if (
        p.id !== undefined &&
        stored.cameras.some((c) => held.includes(c.id) && (c.current !== serverId || c.runtime.relay))
      ) {
        // Moves reached the store before it went: the entry waits and the next tick moves the rest.
        await this.undo(serverId, p.before, p.id, p.run, new Error('it became unreachable during the failover'));
        continue;
      }
      const r = await this.carry(p, p.id !== undefined ? p.run : undefined, p.before);
      if (!r.ok) {
        // Lost again: those not tried yet wait on with it.
        for (const [id, q] of waiting.slice(i + 1)) this.pending.set(id, q);
        return;
      }
    }
  }

  /** Whether a failover of this server is confirmed and waits for the store. */
  waitsForStore(serverId: string): boolean {
    return this.pending.has(serverId);
  }

  /** Carries a confirmed failover out; `existing`: its entry, written before the store went. */
  private async carry(
    a: FailoverArgs,
    existing?: FailoverRun,
    /** The server as it was before the verdict (a retry: memory holds the verdict already). */
    was?: PendingFailover['before'],
  ): Promise<{ id?: number; ok: boolean }> {
    const { serverId, trigger, reporters, firstReportAt, confirmedAt: now, actor } = a;
    const farm = this.p.state.farm;
    const server = this.p.state.server(serverId);
    const before = was ?? {
      state: server.state,
      downSince: server.downSince,
      held: farm.cameras.filter((c) => c.current === serverId).map((c) => c.id),
    };
    let id = existing?.id;
    this.current = existing;
    try {
      await this.p.state.setState(serverId, 'down', now);
      let run = existing;
      if (!run) {
        this.p.unhealthy(serverId);
        await this.p.handovers.serverFailed(serverId, now);
        for (const o of [...this.open.values()])
          await this.apply(o, { type: 'target-failed', server: serverId, at: now });
        const queued = [...this.open.values()].some(
          (o) => o.group === server.group && o.status === 'running' && now - o.detail.confirmedAt < QUEUE_MAX_WAIT_MS,
        );
        const start = newRun({
          server: serverId,
          group: server.group,
          reporters,
          firstReportAt,
          confirmedAt: now,
          queued,
          actor,
        });
        const { status, detail } = start;
        id = await this.store.insertFailover({
          startedAt: now,
          server: serverId,
          group: server.group,
          trigger,
          status,
          detail,
        });
        run = { id, ...start };
        faultPoint('failover-confirmed');
      }
      this.current = run;
      if (run.status === 'queued') {
        this.open.set(run.id, run);
        this.p.state.farm.generation = await this.store.bumpGeneration(); // the buddy graph changed
        this.log.warn({ server: serverId }, 'failover queued behind another one in its group');
      } else await this.carryOut(run);
      this.outage.answered(this.clock.now());
      return { id, ok: true };
    } catch (err) {
      if (isStoreUnavailable(err)) {
        // The verdict stands (in memory: the API shows its cameras unrecorded, not back and forth)
        // and the failover waits for the store; only the store's loss and return are logged.
        this.outage.failed(this.clock.now(), err, `failover of ${serverId}`);
        const s = this.p.state.farm.servers.find((x) => x.id === serverId);
        if (s) Object.assign(s, { state: 'down', downSince: now });
        if (id !== undefined) this.open.delete(id);
        this.pending.set(serverId, {
          ...a,
          id,
          run: this.current,
          before: this.pending.get(serverId)?.before ?? before,
        });
        return { id, ok: false };
      }
      // The store failed part-way: forget the verdict so the next tick judges and tries again.
      this.log.error({ err, server: serverId }, 'failover failed; retrying on the next tick');
      await this.undo(serverId, before, id, this.current, err);
      return { id, ok: false };
    } finally {
      this.p.state.wake();
    }
  }

  /** Every tick: waiting failovers that find a place resume, queued ones whose turn came are carried out. */
  async tick(now: number): Promise<void> {
    for (const id of [...this.uncommitted]) {
      this.uncommitted.delete(id);
      const run = this.open.get(id);
      if (run?.status === 'running') {
        this.log.warn(
          { server: run.server, failover: id },
          'failover taken up: confirmed, not committed; planned again',
        );
        await this.carryOut(run);
      }
    }
    for (const run of [...this.open.values()]) {
      if (run.status === 'waiting') {
        if (planFailover(this.p.handovers.planView(this.p.state.farm), run.server).kind === 'wait') continue;
        await this.carryOut(await this.apply(run, { type: 'retried', at: now }));
      } else if (run.status === 'queued' && !this.queueAhead(run, now))
        await this.carryOut(await this.apply(run, { type: 'dequeued', at: now }));
    }
  }

  /** Segments a server delivered: moved cameras it records are marked recording. */
  async recorded(serverId: string, segments: { camera: string; endMs: number }[], now: number): Promise<void> {
    for (const run of [...this.open.values()])
      await this.apply(run, { type: 'recorded', server: serverId, segments, at: now });
  }

  /** The failed server speaks again: its failovers that wait or queue are cancelled. */
  async returned(serverId: string, now: number): Promise<void> {
    for (const run of [...this.open.values()])
      if (run.server === serverId) await this.apply(run, { type: 'server-returned', at: now });
  }

  /** Logs the 'assigned' step of a target that was served its assignment at `at`. */
  async noteAssigned(serverId: string, at: number): Promise<void> {
    for (const run of [...this.open.values()]) await this.apply(run, { type: 'assigned', server: serverId, at });
  }

  /** A running failover of the same group, started before `run` and not yet done (nor too old). */
  private queueAhead(run: FailoverRun, now: number): boolean {
    return [...this.open.values()].some(
      (o) =>
        o.id < run.id &&
        o.group === run.group &&
        o.status === 'running' &&
        now - o.detail.confirmedAt < QUEUE_MAX_WAIT_MS,
    );
  }

  /** Plans and applies; cameras that find no free server wait and are retried every tick. */
  private async carryOut(run: FailoverRun): Promise<void> {
    const startedAt = this.clock.now();
    const plan = planFailover(this.p.handovers.planView(this.p.state.farm), run.server);
    await this.apply(run, { type: 'planned', plan, startedAt, at: this.clock.now() });
    this.p.state.wake();
  }

  /** One transition: keeps the run while it is open, then carries out its effects in order. */
  private async apply(run: FailoverRun, e: RunEvent): Promise<FailoverRun> {
    const { run: next, effects } = advance(run, e);
    if (next === run) return run;
    this.current = next;
    if (isOpen(next)) this.open.set(next.id, next);
    else this.open.delete(next.id);
    let last = next;
    for (const fx of effects) {
      if (fx.kind === 'commit') {
        const at = this.clock.now();
        const committed: RunEvent = { type: 'committed', plan: fx.plan, plannedAt: fx.plannedAt, at };
        // The moves and the entry as committed in one transaction (then saved again, unchanged).
        const entry = advance(next, committed).run;
        await this.p.placement.applyMoves(next.server, fx.moves, entry);
        faultPoint('failover-committed');
        last = await this.apply(next, committed);
      } else if (fx.kind === 'bump-generation') this.p.state.farm.generation = await this.store.bumpGeneration();
      else if (fx.kind === 'save') await this.store.updateFailover(next.id, next.status, next.detail);
      else this.log[fx.level](fx.fields, fx.msg);
    }
    return last;
  }

  /**
   * A failover the store failed in part-way is taken back as far as the store lets: its log entry
   * ends 'failed', the server's state is the one before, and memory is read back from the store, so
   * memory and store agree (e.g. on cameras whose move was committed) before the next tick judges again.
   */
  private async undo(
    serverId: string,
    before: { state: ServerState; downSince: number | null; held: string[] },
    id: number | undefined,
    run: FailoverRun | undefined,
    err: unknown,
  ): Promise<void> {
    if (id !== undefined) this.open.delete(id);
    const { held } = before;
    try {
      const stored = await this.store.snapshot();
      // Moves the store committed stand: then the server stays down (its return ends relays and
      // starts failback as usual) and the entry waits, so the next tick moves what is left.
      const committed = stored.cameras.some((c) => held.includes(c.id) && (c.current !== serverId || c.runtime.relay));
      const reason = `the farm store failed: ${err instanceof Error ? err.message : String(err)}`;
      if (id !== undefined && run) {
        const { detail } = run;
        if (committed) {
          const moves = [...detail.moves];
          for (const c of stored.cameras.filter(
            (x) => held.includes(x.id) && !detail.moves.some((m) => m.camera === x.id),
          )) {
            if (c.current !== serverId) moves.push({ camera: c.id, from: serverId, to: c.current, mode: 'record' });
            else if (c.runtime.relay) moves.push({ camera: c.id, from: serverId, to: c.runtime.relay, mode: 'live' });
          }
          const waiting = { ...detail, moves, reason };
          await this.store.updateFailover(id, 'waiting', waiting);
          await this.p.state.reload();
          this.open.set(id, {
            id,
            server: serverId,
            group: this.p.state.server(serverId).group,
            status: 'waiting',
            detail: waiting,
          });
          return;
        }
        await this.store.updateFailover(id, 'failed', { ...detail, reason });
      }
      await this.store.setServerState(serverId, before.state, before.downSince);
      await this.p.state.reload();
    } catch (again) {
      // The store is still out: at least memory forgets the verdict; the next failover writes all again.
      this.log.error({ err: again, server: serverId }, 'cannot take the failed failover back in the store');
      const server = this.p.state.farm.servers.find((s) => s.id === serverId);
      if (server) Object.assign(server, { state: before.state, downSince: before.downSince });
    }
  }
}
