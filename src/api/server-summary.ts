import { effectiveRoles, type PlanGroup, type PlanServer } from '../controller/planner.ts';
import type { StorageState } from '../protocol/storage-state.ts';

/** A server's health as the console names it. */
export type ServerHealth = 'up' | 'suspect' | 'down' | 'maintenance';

/** A server's role by configuration (after a swap: the role it plays now). */
export type ServerKind = 'active' | 'redundant' | 'failover' | 'hot-standby';

/**
 * The console's word for a server's state. Maintenance first (a drained server is expected to go
 * quiet and is never judged); then the master's verdict (down, or suspect when a buddy reports it);
 * an up server whose status is late (or that has not reported since the master started) is
 * suspect too: the same silence the liveness rule waits for before a buddy quorum counts, so the
 * console shows it before the verdict, never after. Pure.
 */
export function serverHealth(i: {
  state: 'up' | 'suspect' | 'down';
  maintenance: boolean;
  lastStatusAt: number | null;
  now: number;
  lateMs: number;
}): ServerHealth {
  if (i.maintenance) return 'maintenance';
  if (i.state !== 'up') return i.state;
  return statusLate(i) ? 'suspect' : 'up';
}

/** Whether a server's last status is older than lateMs (or it has sent none since the master started). */
export function statusLate(i: { lastStatusAt: number | null; now: number; lateMs: number }): boolean {
  return i.lastStatusAt === null || i.now - i.lastStatusAt > i.lateMs;
}

/** How late a status may be before the server shows suspect: as liveness.ts counts a server silent. */
export function lateAfterMs(settings: { StatusIntervalMs: number; FarmHealthMissedUdpMs: number }): number {
  return Math.min(3 * settings.StatusIntervalMs, settings.FarmHealthMissedUdpMs);
}

/** The servers that report `id` possibly down in their last status. */
export function reportedBy(id: string, suspectsOf: Map<string, readonly string[]>): string[] {
  return [...suspectsOf]
    .filter(([, s]) => s.includes(id))
    .map(([by]) => by)
    .sort();
}

/** A server's configured role, as the console shows it. */
export interface ServerRole {
  kind: ServerKind;
  /** failover: primary or secondary failover server (standby policy). */
  failoverTier: 'primary' | 'secondary' | null;
  /** hot-standby: the server whose cameras it pre-buffers. */
  standbyFor: string | null;
  /** The servers whose cameras it records now (it took them over). */
  recordsFor: string[];
}

/**
 * A server's role by configuration, after swaps (the planner's effectiveRoles: a server swapped
 * with another plays that one's role): hot standby of a server, failover server (primary or
 * secondary), active (the home of cameras), else redundant (a spare). And whose cameras it holds
 * now. Pure.
 */
export function serverRole(
  id: string,
  group: PlanGroup,
  servers: PlanServer[],
  cameras: { home: string; current: string }[],
): ServerRole {
  const roles = effectiveRoles(group, servers);
  const recordsFor = [...new Set(cameras.filter((c) => c.current === id && c.home !== id).map((c) => c.home))].sort();
  const standbyFor = roles.hotFor.get(id);
  const base = { failoverTier: null, standbyFor: null, recordsFor };
  if (standbyFor !== undefined) return { ...base, kind: 'hot-standby', standbyFor };
  if (roles.failoverServers.includes(id)) return { ...base, kind: 'failover', failoverTier: 'primary' };
  if (roles.secondaryFailoverServers.includes(id)) return { ...base, kind: 'failover', failoverTier: 'secondary' };
  // The home of cameras by configuration, or (swapped) plays the role of one.
  const me = servers.find((s) => s.id === id);
  const other = me?.runtime?.swappedWith;
  const mutual = other !== undefined && servers.find((s) => s.id === other)?.runtime?.swappedWith === id;
  const roleOf = mutual ? other : id;
  return { ...base, kind: cameras.some((c) => c.home === roleOf) ? 'active' : 'redundant' };
}

/** A server's storage in one line: its paths, how many failed, free and total bytes of the healthy ones. */
export interface DiskSummary {
  paths: number;
  failedPaths: number;
  freeBytes: number | null;
  totalBytes: number | null;
}

/**
 * A server's storage as the summary shows it: the server-wide paths and every camera's own paths
 * (each path once), how many failed, and the free and total space of the healthy ones that report
 * it (null when none does). Paths on one file system are each counted. Pure.
 */
export function diskSummary(storage: StorageState | null | undefined): DiskSummary | null {
  if (!storage) return null;
  const byPath = new Map<string, StorageState['paths'][number]>();
  for (const p of [...storage.paths, ...Object.values(storage.cameras ?? {}).flatMap((c) => c.paths)])
    if (!byPath.has(p.path)) byPath.set(p.path, p);
  const paths = [...byPath.values()];
  const sized = paths.filter((p) => p.healthy && p.space);
  return {
    paths: paths.length,
    failedPaths: paths.filter((p) => !p.healthy).length,
    freeBytes: sized.length ? sized.reduce((n, p) => n + p.space!.freeBytes, 0) : null,
    totalBytes: sized.length ? sized.reduce((n, p) => n + p.space!.totalBytes, 0) : null,
  };
}

/** The cameras a server's status says it cannot record though they answer (failing) or that stopped delivering (stalled). */
export function failingCameras(cameras: Record<string, { state: string }> | undefined): string[] {
  return Object.entries(cameras ?? {})
    .filter(([, c]) => c.state === 'failing' || c.state === 'stalled')
    .map(([id]) => id)
    .sort();
}
