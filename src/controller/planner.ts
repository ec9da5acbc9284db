/** What the planner needs to know of the farm. */
export interface PlanFarm {
  groups: { id: number; redundancy: boolean }[];
  servers: { id: string; group: number; state: 'up' | 'suspect' | 'down' }[];
  cameras: { id: string; current: string; movable: boolean }[];
}

export interface Move {
  camera: string;
  from: string;
  to: string;
}

export type FailoverPlan =
  | { kind: 'move'; server: string; target: string; moves: Move[]; unrecorded: string[] }
  | { kind: 'wait'; server: string; reason: string; unrecorded: string[] }
  | { kind: 'skip'; server: string; reason: string; unrecorded: string[] };

/**
 * N+1 spare failover (Symphony): all movable cameras of the down server go to one redundant
 * server (a running server with 0 cameras) of its redundancy group. Pure and deterministic.
 */
export function planFailover(farm: PlanFarm, serverId: string): FailoverPlan {
  const server = farm.servers.find((s) => s.id === serverId);
  if (!server) return { kind: 'skip', server: serverId, reason: 'unknown server', unrecorded: [] };
  const mine = farm.cameras.filter((c) => c.current === serverId);
  const movable = mine.filter((c) => c.movable).map((c) => c.id).sort();
  const unrecorded = mine.filter((c) => !c.movable).map((c) => c.id).sort();
  if (!mine.length) return { kind: 'skip', server: serverId, reason: 'the server held no cameras', unrecorded };
  const group = farm.groups.find((g) => g.id === server.group);
  if (!group?.redundancy) return { kind: 'skip', server: serverId, reason: `redundancy is off in group ${server.group}`, unrecorded: [...unrecorded, ...movable].sort() };
  if (!movable.length) return { kind: 'skip', server: serverId, reason: 'no movable cameras', unrecorded };
  const target = redundantServers(farm, server.group).find((id) => id !== serverId);
  if (!target) return { kind: 'wait', server: serverId, reason: `no redundant server free in group ${server.group}`, unrecorded: [...unrecorded, ...movable].sort() };
  return { kind: 'move', server: serverId, target, moves: movable.map((camera) => ({ camera, from: serverId, to: target })), unrecorded };
}

/** Running servers of a group that hold no camera, by id. */
export function redundantServers(farm: PlanFarm, group: number): string[] {
  const busy = new Set(farm.cameras.map((c) => c.current));
  return farm.servers
    .filter((s) => s.group === group && s.state === 'up' && !busy.has(s.id))
    .map((s) => s.id)
    .sort();
}
