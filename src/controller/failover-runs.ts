import type { ServerState, Store } from '../store/store.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import { planFailover } from './planner.ts';
import type { FarmState } from './farm-state.ts';
import type { Placement } from './placement.ts';
import type { Handovers } from './handovers.ts';
import type { FailoverEntry, FailureTrigger } from '../store/failover-log.ts';
import { advance, isOpen, newRun, type FailoverRun, type RunEvent } from './failover-run.ts';

/** A queued failover waits at most this long for the one before it in its group. */
const QUEUE_MAX_WAIT_MS = 15_000;

/** The store operations failover runs use. */
export type RunStore = Pick<
  Store,
  'insertFailover' | 'updateFailover' | 'bumpGeneration' | 'snapshot' | 'setServerState'
>;

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
  /** The latest state of the run being carried out, for taking it back when the store fails. */
  private current: FailoverRun | undefined;

  constructor(
    private readonly p: RunParent,
    private readonly store: RunStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Takes up an open failover read from the store at start. */
  restore(f: FailoverEntry): void {
    this.open.set(f.id, { id: f.id, server: f.server, group: f.group, status: f.status, detail: f.detail });
  }

  /** Whether a failover of this server is open. */
  hasOpen(serverId: string): boolean {
    return [...this.open.values()].some((r) => r.server === serverId);
  }

  /**
   * Fails a server over: marks it down, finishes or abandons its handovers, and carries the
   * failover out (or queues it behind another one of its group). When the store fails part-way
   * it is taken back (see undo). `id` is its log entry when one was written; `ok` says it stands.
   */
  async failover(
    serverId: string,
    trigger: FailureTrigger,
    reporters: string[],
    firstReportAt: number,
    now: number,
    actor?: string,
  ): Promise<{ id?: number; ok: boolean }> {
    const farm = this.p.state.farm;
    const server = this.p.state.server(serverId);
    const before = {
      state: server.state,
      downSince: server.downSince,
      held: farm.cameras.filter((c) => c.current === serverId).map((c) => c.id),
    };
    this.log.warn({ server: serverId, trigger, reporters }, 'server confirmed down');
    let id: number | undefined;
    this.current = undefined;
    try {
      await this.p.state.setState(serverId, 'down', now);
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
      const run: FailoverRun = { id, ...start };
      this.current = run;
      if (queued) {
        this.open.set(id, run);
        this.p.state.farm.generation = await this.store.bumpGeneration(); // the buddy graph changed
        this.log.warn({ server: serverId }, 'failover queued behind another one in its group');
      } else await this.carryOut(run);
      return { id, ok: true };
    } catch (err) {
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
        await this.p.placement.applyMoves(next.server, fx.moves);
        const at = this.clock.now();
        last = await this.apply(next, { type: 'committed', plan: fx.plan, plannedAt: fx.plannedAt, at });
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
