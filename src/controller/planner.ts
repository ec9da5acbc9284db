import type { FailoverMode, Policy, Priority } from '../config/failover-settings.ts';

/** What the planner needs to know of the farm (a FarmSnapshot fits). */
export interface PlanFarm {
  groups: PlanGroup[];
  servers: PlanServer[];
  cameras: PlanCamera[];
}
export interface PlanGroup {
  id: number;
  redundancy: boolean;
  policy?: Policy;
  failoverServers?: string[];
  secondaryFailoverServers?: string[];
}
export interface PlanServer {
  id: string;
  group: number;
  state: 'up' | 'suspect' | 'down';
  enabled?: boolean;
  maxCameras?: number;
  hotStandbyFor?: string;
  runtime?: { maintenance?: boolean; swappedWith?: string };
}
export interface PlanCamera {
  id: string;
  current: string;
  home?: string;
  movable: boolean;
  priority?: Priority;
  failoverMode?: FailoverMode;
  /** A live-only camera already relayed elsewhere is not planned again. */
  runtime?: { relay?: string };
}

/** One camera to another server: recorded there, or (live-only) only relayed live. */
export interface Move {
  camera: string;
  from: string;
  to: string;
  mode: 'record' | 'live';
}

/**
 * move: carry out `moves` (some cameras may still wait for a place); wait: nothing can move yet,
 * retried when a server frees up; skip: nothing will ever move (redundancy off, nothing movable).
 * `waiting` cameras are movable ones with no place yet; `unrecorded` are every camera of the
 * server that will not be recorded elsewhere (not movable, failover mode none or live-only,
 * priority never, or waiting).
 */
export interface FailoverPlan {
  kind: 'move' | 'wait' | 'skip';
  server: string;
  reason?: string;
  moves: Move[];
  waiting: string[];
  unrecorded: string[];
}

const PRIORITY_ORDER: Record<Priority, number> = { high: 0, medium: 1, low: 2, never: 3 };

/**
 * Where the cameras of `serverId` go when it fails (or is drained), by its group's policy:
 * spare (Symphony): one running server with 0 cameras takes them all; standby (XProtect): the
 * first free failover server in order, then the secondary ones; hot: its hot standby (else a
 * spare); distribute (Nx): each camera to the running server with the most spare capacity, high
 * priority first. maxCameras holds for every target. Pure and deterministic: the order of the
 * input does not matter.
 */
export function planFailover(farm: PlanFarm, serverId: string): FailoverPlan {
  const server = farm.servers.find((s) => s.id === serverId);
  const plan = (kind: FailoverPlan['kind'], p: Partial<FailoverPlan>): FailoverPlan => ({
    kind,
    server: serverId,
    moves: [],
    waiting: [],
    unrecorded: [],
    ...p,
  });
  if (!server) return plan('skip', { reason: 'unknown server' });
  const mine = farm.cameras.filter((c) => c.current === serverId).sort(byPriority);
  if (!mine.length) return plan('skip', { reason: 'the server held no cameras' });
  const group = farm.groups.find((g) => g.id === server.group);
  if (!group?.redundancy)
    return plan('skip', { reason: `redundancy is off in group ${server.group}`, unrecorded: ids(mine) });
  const stays = mine.filter((c) => !c.movable || c.failoverMode === 'none' || c.priority === 'never');
  const record = mine.filter((c) => !stays.includes(c) && c.failoverMode !== 'live-only');
  const live = mine.filter((c) => !stays.includes(c) && c.failoverMode === 'live-only' && !c.runtime?.relay);
  const relayed = mine.filter((c) => !stays.includes(c) && c.failoverMode === 'live-only' && c.runtime?.relay);
  if (!record.length && !live.length)
    return plan('skip', {
      reason: relayed.length ? 'nothing left to move' : 'no movable cameras',
      unrecorded: ids(mine),
    });

  const load = new Map<string, number>();
  for (const c of farm.cameras) load.set(c.current, (load.get(c.current) ?? 0) + 1);
  const free = (s: PlanServer) => (s.maxCameras ?? Infinity) - (load.get(s.id) ?? 0);
  const roles = effectiveRoles(group, farm.servers);
  const candidates = farm.servers
    .filter((s) => s.group === server.group && s.id !== serverId && available(s) && !roles.hotFor.has(s.id))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const empty = (s: PlanServer) => !load.get(s.id);

  const moves: Move[] = [];
  const waiting: string[] = [];
  let reason: string | undefined;
  const policy = group.policy ?? 'spare';
  if (policy === 'distribute') {
    for (const c of record) {
      const to = candidates
        .filter((s) => free(s) > 0)
        .sort(
          (a, b) => free(b) - free(a) || (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || (a.id < b.id ? -1 : 1),
        )[0];
      if (!to) {
        waiting.push(c.id);
        continue;
      }
      moves.push({ camera: c.id, from: serverId, to: to.id, mode: 'record' });
      load.set(to.id, (load.get(to.id) ?? 0) + 1);
    }
    if (waiting.length) reason = `no capacity left in group ${server.group} for ${waiting.length} camera(s)`;
    const relay = [...candidates].sort(
      (a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || (a.id < b.id ? -1 : 1),
    )[0];
    placeLive(relay);
  } else {
    let target: PlanServer | undefined;
    if (policy === 'hot') {
      const standby = farm.servers.find((s) => roles.hotFor.get(s.id) === serverId);
      target = standby && available(standby) && empty(standby) ? standby : undefined;
    }
    if (policy === 'standby') {
      const byId = (id: string) => farm.servers.find((s) => s.id === id && s.group === server.group);
      target = [...roles.failoverServers, ...roles.secondaryFailoverServers]
        .map(byId)
        .find((s) => s && s.id !== serverId && available(s) && empty(s));
      if (!target) reason = `every failover server of group ${server.group} is busy, down or disabled`;
    } else {
      // spare, and hot without a free hot standby: a running server with 0 cameras.
      target ??= candidates.find(
        (s) => empty(s) && !roles.failoverServers.includes(s.id) && !roles.secondaryFailoverServers.includes(s.id),
      );
      if (!target) reason = `no redundant server free in group ${server.group}`;
    }
    for (const c of record) {
      if (target && free(target) > 0) {
        moves.push({ camera: c.id, from: serverId, to: target.id, mode: 'record' });
        load.set(target.id, (load.get(target.id) ?? 0) + 1);
      } else waiting.push(c.id);
    }
    if (target && waiting.length)
      reason = `server ${target.id} has room for ${record.length - waiting.length} of ${record.length} camera(s)`;
    placeLive(target);
  }

  function placeLive(to: PlanServer | undefined): void {
    for (const c of live) {
      if (to) moves.push({ camera: c.id, from: serverId, to: to.id, mode: 'live' });
      else waiting.push(c.id);
    }
  }
  const unrecorded = [...ids(stays), ...ids(live), ...ids(relayed), ...waiting]
    .filter((id, i, all) => all.indexOf(id) === i)
    .sort();
  return plan(moves.length ? 'move' : 'wait', {
    moves,
    waiting: waiting.sort(),
    unrecorded,
    ...(reason && { reason }),
  });
}

/** A server that can take cameras: running, enabled, not drained for maintenance. */
export function available(s: PlanServer): boolean {
  return s.state === 'up' && s.enabled !== false && !s.runtime?.maintenance;
}

/**
 * Roles after swaps (onReturn swap): a server swapped with another plays that one's configured
 * role, with server ids in it swapped too. So a recording server swapped with its failover server
 * becomes the failover server, and a hot standby that took over gets its old server as hot standby.
 */
export function effectiveRoles(
  group: PlanGroup,
  servers: PlanServer[],
): { failoverServers: string[]; secondaryFailoverServers: string[]; hotFor: Map<string, string> } {
  const swapped = new Map<string, string>();
  for (const s of servers)
    if (s.runtime?.swappedWith && servers.find((o) => o.id === s.runtime!.swappedWith)?.runtime?.swappedWith === s.id)
      swapped.set(s.id, s.runtime.swappedWith);
  const σ = (id: string) => swapped.get(id) ?? id;
  const hotFor = new Map<string, string>();
  for (const s of servers) {
    if (s.group !== group.id) continue;
    const role = servers.find((o) => o.id === σ(s.id));
    if (role?.hotStandbyFor !== undefined) hotFor.set(s.id, σ(role.hotStandbyFor));
  }
  return {
    failoverServers: (group.failoverServers ?? []).map(σ),
    secondaryFailoverServers: (group.secondaryFailoverServers ?? []).map(σ),
    hotFor,
  };
}

/** Running servers of a group that hold no camera, by id (the spare policy's redundant servers). */
export function redundantServers(farm: PlanFarm, group: number): string[] {
  const busy = new Set(farm.cameras.map((c) => c.current));
  return farm.servers
    .filter((s) => s.group === group && available(s) && !busy.has(s.id))
    .map((s) => s.id)
    .sort();
}

/**
 * Cameras whose home is `serverId` and that are recorded elsewhere: what a failback moves back.
 * Non-movable cameras never left; live-only ones are only relayed and simply go home.
 */
export function planFailback(farm: PlanFarm, serverId: string): Move[] {
  return farm.cameras
    .filter((c) => c.home === serverId && c.current !== serverId)
    .map((c) => ({ camera: c.id, from: c.current, to: serverId, mode: 'record' as const }))
    .sort((a, b) => (a.camera < b.camera ? -1 : 1));
}

/** Why `camera` cannot be moved to `to` by an operator, or nothing when it can. */
export function moveProblems(farm: PlanFarm, cameraId: string, to: string): string[] {
  const cam = farm.cameras.find((c) => c.id === cameraId);
  const target = farm.servers.find((s) => s.id === to);
  if (!cam) return [`no camera ${cameraId}`];
  if (!target) return [`no server ${to}`];
  const out: string[] = [];
  const from = farm.servers.find((s) => s.id === cam.current);
  if (cam.current === to) out.push(`camera ${cameraId} is recorded by ${to} already`);
  if (!cam.movable) out.push(`camera ${cameraId} is not movable`);
  if (from && from.group !== target.group)
    out.push(`server ${to} is in group ${target.group}, camera ${cameraId} in group ${from.group}`);
  if (!available(target)) out.push(`server ${to} is not running, disabled or in maintenance`);
  const load = farm.cameras.filter((c) => c.current === to).length;
  if (target.maxCameras !== undefined && load >= target.maxCameras)
    out.push(`server ${to} records its maximum of ${target.maxCameras} cameras`);
  return out;
}

function byPriority(a: PlanCamera, b: PlanCamera): number {
  return PRIORITY_ORDER[a.priority ?? 'medium'] - PRIORITY_ORDER[b.priority ?? 'medium'] || (a.id < b.id ? -1 : 1);
}

function ids(cs: PlanCamera[]): string[] {
  return cs.map((c) => c.id).sort();
}
