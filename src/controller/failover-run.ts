import type { FailoverPlan, Move } from './planner.ts';
import {
  step,
  withTargets,
  type FailoverDetail,
  type FailoverMove,
  type FailoverStatus,
} from '../store/failover-log.ts';

/** One failover of a failed server, as its entry of the failover log holds it. */
export interface FailoverRun {
  id: number;
  server: string;
  group: number;
  status: FailoverStatus;
  detail: FailoverDetail;
}

/** What happens to a failover run; times are the controller's clock. */
export type RunEvent =
  /** The failover before it in its group is over: it is carried out now. */
  | { type: 'dequeued'; at: number }
  /** A waiting failover found a place for some of its cameras. */
  | { type: 'retried'; at: number }
  /** The planner answered (planning began at `startedAt`). */
  | { type: 'planned'; plan: FailoverPlan; startedAt: number; at: number }
  /** The plan's moves are in the store. */
  | { type: 'committed'; plan: FailoverPlan; plannedAt: number; at: number }
  /** A server delivered segments. */
  | { type: 'recorded'; server: string; segments: { camera: string; endMs: number }[]; at: number }
  /** A server that took cameras failed too, before it recorded some of them. */
  | { type: 'target-failed'; server: string; at: number }
  /** The failed server speaks again. */
  | { type: 'server-returned'; at: number }
  /** A target fetched the assignment that carries its cameras. */
  | { type: 'assigned'; server: string; at: number };

/** What the controller must do after a transition, in order. */
export type RunEffect =
  /** Commit these moves to the store, then send `committed`. */
  | { kind: 'commit'; moves: Move[]; plan: FailoverPlan; plannedAt: number }
  /** The buddy graph changed without a move: tell every server. */
  | { kind: 'bump-generation' }
  /** Write the run's status and detail to its log entry. */
  | { kind: 'save' }
  | { kind: 'log'; level: 'info' | 'warn'; msg: string; fields: Record<string, unknown> };

/** A run's status while it is not over (it is kept in memory and looked at every tick). */
export function isOpen(run: Pick<FailoverRun, 'status'>): boolean {
  return run.status === 'running' || run.status === 'waiting' || run.status === 'queued';
}

/** A move needs nothing more: it is live-only, its target records it, or its target failed first. */
function settled(m: FailoverMove): boolean {
  return m.mode === 'live' || m.recordingAt !== undefined || m.lostAt !== undefined;
}

/**
 * The one definition of a failover that is done: it runs (nothing waits or queues) and every one
 * of its moves is settled. Every transition that may settle a move ends with it.
 */
export function isDone(run: Pick<FailoverRun, 'status' | 'detail'>): boolean {
  return run.status === 'done' || (run.status === 'running' && run.detail.moves.every(settled));
}

/** A new failover of a server confirmed down at `confirmedAt`; queued behind another one of its group, or running. */
export function newRun(o: {
  server: string;
  group: number;
  reporters: string[];
  firstReportAt: number;
  confirmedAt: number;
  queued: boolean;
  /** Who asked for it (a manual failover). */
  actor?: string;
}): Omit<FailoverRun, 'id'> {
  const at = o.confirmedAt;
  return {
    server: o.server,
    group: o.group,
    status: o.queued ? 'queued' : 'running',
    detail: {
      reporters: o.reporters,
      firstReportAt: o.firstReportAt,
      confirmedAt: at,
      moves: [],
      unrecorded: [],
      steps: [step('detect', at, o.firstReportAt), ...(o.queued ? [step('queued', at, at)] : [])],
      ...(o.actor !== undefined && { actor: o.actor }),
    },
  };
}

/** The next state of a run and what to do about it. Pure: no clock, no I/O. */
export function advance(run: FailoverRun, e: RunEvent): { run: FailoverRun; effects: RunEffect[] } {
  const d = run.detail;
  const since = d.confirmedAt;
  const none = { run, effects: [] };
  const done = (next: FailoverRun): FailoverRun => (isDone(next) ? { ...next, status: 'done' } : next);
  switch (e.type) {
    case 'dequeued':
    case 'retried': {
      const name = e.type === 'dequeued' ? 'dequeued' : 'resume';
      return { run: { ...run, detail: { ...d, steps: [...d.steps, step(name, e.at, since)] } }, effects: [] };
    }
    case 'planned': {
      const { plan } = e;
      const next: FailoverRun = {
        ...run,
        detail: { ...d, unrecorded: plan.unrecorded, steps: [...d.steps, step('plan', e.at, e.startedAt)] },
      };
      if (plan.kind === 'move')
        return { run: next, effects: [{ kind: 'commit', moves: plan.moves, plan, plannedAt: e.at }] };
      const log = (msg: string): RunEffect => ({
        kind: 'log',
        level: 'warn',
        msg,
        fields: { server: run.server, reason: plan.reason, unrecorded: plan.unrecorded },
      });
      const detail = { ...next.detail, reason: plan.reason };
      const effects: RunEffect[] = [{ kind: 'bump-generation' }];
      let status: FailoverStatus;
      if (plan.kind === 'wait') {
        if (run.status !== 'waiting') effects.push(log('failover waiting'));
        status = 'waiting';
      } else if (d.moves.length)
        status = 'running'; // an earlier part moved; the rest can never move
      else {
        effects.push(log('failover skipped'));
        status = 'skipped';
      }
      return { run: done({ ...next, status, detail }), effects: [...effects, { kind: 'save' }] };
    }
    case 'committed': {
      const { plan } = e;
      const { reason: _, ...rest } = d;
      const detail = withTargets({
        ...rest,
        steps: [...d.steps, step('commit', e.at, e.plannedAt)],
        moves: [...d.moves, ...plan.moves.map((m) => ({ ...m }))],
        ...(plan.reason && { reason: plan.reason }),
      });
      const next = done({ ...run, status: plan.waiting.length ? 'waiting' : 'running', detail });
      const fields = {
        server: run.server,
        targets: detail.targets,
        cameras: plan.moves.length,
        waiting: plan.waiting,
        unrecorded: plan.unrecorded,
        sinceConfirmMs: e.at - since,
      };
      return {
        run: next,
        effects: [{ kind: 'log', level: 'warn', msg: 'failover: cameras moved', fields }, { kind: 'save' }],
      };
    }
    case 'recorded': {
      if (run.status === 'queued' || !d.moves.some((m) => m.to === e.server)) return none;
      const steps = [...d.steps];
      const moves = d.moves.map((m) => {
        if (m.recordingAt || m.to !== e.server || m.mode === 'live') return m;
        if (!e.segments.some((s) => s.camera === m.camera && s.endMs > since)) return m;
        steps.push(step('recording', e.at, since, { camera: m.camera }));
        return { ...m, recordingAt: e.at };
      });
      if (steps.length === d.steps.length) return none;
      const next = done({ ...run, detail: { ...d, moves, steps } });
      const effects: RunEffect[] = [{ kind: 'save' }];
      if (next.status === 'done')
        effects.unshift({
          kind: 'log',
          level: 'info',
          msg: 'failover done: every moved camera records',
          fields: { server: run.server, targets: d.targets, ms: e.at - since },
        });
      return { run: next, effects };
    }
    case 'target-failed': {
      if (!d.moves.some((m) => m.to === e.server && !m.recordingAt && !m.lostAt)) return none;
      const moves = d.moves.map((m) => (m.to === e.server && !m.recordingAt ? { ...m, lostAt: e.at } : m));
      return { run: done({ ...run, detail: { ...d, moves } }), effects: [{ kind: 'save' }] };
    }
    case 'server-returned': {
      const detail = { ...d, returnedAt: e.at };
      if (run.status !== 'waiting' && run.status !== 'queued') return { run: { ...run, detail }, effects: [] };
      const reason = 'the server came back before a redundant server was free';
      return { run: { ...run, status: 'cancelled', detail: { ...detail, reason } }, effects: [{ kind: 'save' }] };
    }
    case 'assigned': {
      if (
        run.status !== 'running' ||
        !d.moves.some((m) => m.to === e.server) ||
        d.steps.some((s) => s.step === 'assigned' && s.server === e.server)
      )
        return none;
      const steps = [...d.steps, step('assigned', e.at, since, { server: e.server })];
      return { run: { ...run, detail: { ...d, steps } }, effects: [{ kind: 'save' }] };
    }
  }
}
