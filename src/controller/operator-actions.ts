import type { FailoverRow, FarmSnapshot, Store } from '../store/store.ts';
import { VigilError, refused } from '../lib/errors.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { CopyBacks } from './copy-backs.ts';
import { movedCameraEdits } from './moved-camera-edits.ts';
import type { Clock } from '../lib/clock.ts';
import { storeUnavailable } from '../store/unavailable.ts';
import { moveProblems, planFailback, planFailover } from './planner.ts';
import type { FarmState } from './farm-state.ts';
import type { Placement } from './placement.ts';
import type { Handovers } from './handovers.ts';
import type { FailoverRuns } from './failover-runs.ts';
import type { ServerReturns } from './server-return.ts';
import type { ServerJudging } from './judge.ts';

// The operator's actions on the farm, each run by the controller in its queue, under its lease.

/** The controller's parts an action uses (those of the current term). */
export interface ActionParts {
  fs: FarmState;
  store: Store;
  clock: Clock;
  judging: ServerJudging;
  runs: FailoverRuns;
  handovers: Handovers;
  returns: ServerReturns;
  placement: Placement;
  copies: CopyBacks;
}

/** A validated configuration replaces the farm's (Controller.applyConfig says what is refused and what follows). */
export async function applyConfig(p: ActionParts, c: FarmConfig): Promise<void> {
  const edits = movedCameraEdits(p.fs.farm.cameras, c.cameras);
  if (edits.length) throw refused('CAMERA_MOVED', 'configuration', edits);
  await p.store.applyConfig(c);
  await p.fs.reload();
  const now = p.clock.now();
  await p.handovers.configChanged(now);
  await p.copies.configChanged();
  for (const s of p.fs.farm.servers) {
    const busy = p.runs.hasOpen(s.id) || p.handovers.hasEntryOf(s.id);
    if (s.state === 'down' && !busy && p.fs.farm.cameras.some((cam) => cam.current === s.id))
      await p.judging.failover(s.id, 'config-change', [], now);
  }
  p.fs.wake();
}

/**
 * An operator's failover: the server is taken as down at once (trigger "manual") and its
 * cameras move as for a crash. A server still running comes back at its next status as a
 * redundant server, holding nothing. Returns the failover log entry, which names `actor` (who
 * asked, as actorName names them) when given.
 */
export async function manualFailover(p: ActionParts, serverId: string, actor?: string): Promise<FailoverRow> {
  const server = p.fs.server(serverId);
  if (server.state === 'down') throw new VigilError('ALREADY_DOWN', `server ${serverId} is down already`, 409);
  if (!p.fs.group(server.group).triggers.includes('manual'))
    throw new VigilError('TRIGGER_OFF', `manual failover is not a trigger of group ${server.group}`, 409);
  if (!p.fs.farm.cameras.some((c) => c.current === serverId))
    throw new VigilError('NOTHING_TO_MOVE', `server ${serverId} holds no cameras`, 409);
  const { id } = await p.judging.failover(serverId, 'manual', [], p.clock.now(), actor);
  if (p.runs.waitsForStore(serverId))
    throw storeUnavailable(`the failover of ${serverId} is confirmed and waits for it`);
  const fo = id === undefined ? undefined : await p.store.failover(id);
  if (!fo)
    throw new VigilError(
      'FAILOVER_FAILED',
      `failover of ${serverId} could not be carried out; see the master log`,
      500,
    );
  return fo;
}

/**
 * Maintenance: the server's cameras move away make-before-break (each new server records before
 * this one stops), and it is neither failed over nor a failover target until resumed. The log
 * entry names `actor` when given (so do resume, failback and moveCamera).
 */
export async function drain(p: ActionParts, serverId: string, actor?: string): Promise<FailoverRow> {
  const server = p.fs.server(serverId);
  if (server.state === 'down') throw new VigilError('SERVER_DOWN', `server ${serverId} is down`, 409);
  if (server.runtime.maintenance)
    throw new VigilError('ALREADY_DRAINED', `server ${serverId} is in maintenance already`, 409);
  if (p.handovers.busy(serverId)) throw new VigilError('BUSY', `a handover of server ${serverId} is under way`, 409);
  server.runtime = { ...server.runtime, maintenance: true };
  await p.store.setServerRuntime(serverId, server.runtime);
  p.returns.forget(serverId);
  const plan = planFailover(planView(p), serverId);
  const unrecorded = plan.kind === 'skip' ? [] : plan.unrecorded;
  return row(p, await p.handovers.start(serverId, 'drain', plan.moves, unrecorded, plan.reason, actor));
}

/** Ends maintenance: the server's own cameras come back to it, make-before-break. */
export async function resume(p: ActionParts, serverId: string, actor?: string): Promise<FailoverRow | undefined> {
  const server = p.fs.server(serverId);
  if (!server.runtime.maintenance) throw new VigilError('NOT_DRAINED', `server ${serverId} is not in maintenance`, 409);
  const { maintenance: _, ...rest } = server.runtime;
  server.runtime = rest;
  await p.store.setServerRuntime(serverId, rest);
  await p.placement.endRelays(serverId);
  p.fs.farm.generation = await p.store.bumpGeneration();
  p.fs.wake();
  const moves = failbackMoves(p, serverId);
  return moves.length ? row(p, await p.handovers.start(serverId, 'resume', moves, [], undefined, actor)) : undefined;
}

/** Fails back: the server's own cameras come home make-before-break (their footage is then copied back). */
export async function failback(p: ActionParts, serverId: string, actor?: string): Promise<FailoverRow> {
  const server = p.fs.server(serverId);
  if (server.state !== 'up' || server.runtime.maintenance)
    throw new VigilError('NOT_RUNNING', `server ${serverId} is not running`, 409);
  const moves = failbackMoves(p, serverId);
  if (!moves.length)
    throw new VigilError('NOTHING_TO_MOVE', `no camera of server ${serverId} is recorded elsewhere`, 409);
  p.returns.forget(serverId);
  return row(p, await p.handovers.start(serverId, 'failback', moves, [], undefined, actor));
}

/** An operator's move of one camera, make-before-break. */
export async function moveCamera(p: ActionParts, cameraId: string, to: string, actor?: string): Promise<FailoverRow> {
  const problems = moveProblems(planView(p), cameraId, to);
  if (p.handovers.has(cameraId)) problems.push(`camera ${cameraId} is being handed over already`);
  if (problems.length)
    throw new VigilError(
      'MOVE_REFUSED',
      `move refused: ${problems.join('; ')}`,
      problems[0].startsWith('no ') ? 404 : 409,
      problems,
    );
  const from = p.fs.camera(cameraId)!.current;
  const move = { camera: cameraId, from, to, mode: 'record' as const };
  return row(p, await p.handovers.start(from, 'move', [move], [], undefined, actor));
}

/** The farm as the planner must see it: a camera being handed over counts on its new server. */
function planView(p: ActionParts): FarmSnapshot {
  return p.handovers.planView(p.fs.farm);
}

/** The moves that bring a server's own cameras home, but for those being handed over already. */
function failbackMoves(p: ActionParts, serverId: string) {
  return planFailback(p.fs.farm, serverId).filter((m) => !p.handovers.has(m.camera));
}

async function row(p: ActionParts, id: number): Promise<FailoverRow> {
  return (await p.store.failover(id))!;
}
