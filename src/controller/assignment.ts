import type { CameraRow, FarmSnapshot } from '../store/store.ts';
import { liveBuddies } from './liveness.ts';
import { effectiveRoles } from './planner.ts';
import type { AssignedCamera, Assignment } from '../protocol/assignment.ts';
import { aliveKeysFor } from '../health/alive-keys.ts';

/** A make-before-break move under way: both servers record the camera until `to` delivers. */
export interface Handover {
  camera: string;
  from: string;
  to: string;
  startedAt: number;
  /** drain | move | failback */
  reason: string;
  /** The failover log entry that tracks it. */
  logId: number;
}

/** Pre-buffer of a hot standby: the detection time plus 5 s, so the buffer reaches back before the failure. */
export function hotBufferMs(missedUdpMs: number): number {
  return missedUdpMs + 5000;
}

/**
 * What a live-only relay keeps of a camera it pulls for live view: two live windows of 1 s segments
 * and some, in memory, never stored (the camera's failover mode says it is not recorded elsewhere).
 */
export const RELAY_BUFFER_MS = 20_000;

/** The server relaying a live-only camera's live view: only while the server that owns it is down. */
export function liveRelayOf(f: Pick<FarmSnapshot, 'servers'>, c: CameraRow): string | undefined {
  const relay = c.runtime.relay;
  if (!relay || relay === c.current || f.servers.find((s) => s.id === c.current)?.state !== 'down') return undefined;
  return f.servers.some((s) => s.id === relay) ? relay : undefined;
}

/**
 * A camera as `serverId` records it. Its own storage paths are disks of its home server: elsewhere
 * (after a failover) it records to that server's paths, keeping its own max storage days.
 */
export function assignedCamera(c: CameraRow, serverId: string): AssignedCamera {
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

/** What buildAssignment needs besides the farm: the moves under way, and the keys and jobs of the server. */
export interface AssignmentParts {
  handovers: Iterable<Handover>;
  recordFrom: Map<string, number>;
  /** The key `from` signs its Alives to `to` with (aliveKey over the farm key, which only the master holds). */
  aliveKeyOf: (from: string, to: string) => Buffer;
  copyBack?: NonNullable<Assignment['copyBack']>;
  copySources?: NonNullable<Assignment['copySources']>;
}

/**
 * The cameras a recording server is told to record or buffer: the ones it owns, the ones handed
 * over to it (it records them before their old server stops), the live-only cameras it relays, and,
 * as a hot standby, its server's cameras in pre-buffer.
 * `recordFrom` says where a hot standby's buffer is kept from once it owns a camera. Pure.
 */
export function assignedCameras(
  f: FarmSnapshot,
  serverId: string,
  o: Pick<AssignmentParts, 'handovers' | 'recordFrom'>,
): AssignedCamera[] {
  const me = f.servers.find((s) => s.id === serverId);
  if (!me) return [];
  const cameras: AssignedCamera[] = [];
  const incoming = new Set([...o.handovers].filter((h) => h.to === serverId).map((h) => h.camera));
  for (const c of f.cameras) {
    if (c.current !== serverId && !incoming.has(c.id)) continue;
    const from = o.recordFrom.get(c.id);
    cameras.push({
      ...assignedCamera(c, serverId),
      ...(c.current === serverId && from !== undefined && { recordFromMs: from }),
    });
  }
  // Live-only failover: the relay pulls the camera for live view into a pre-buffer, recording nothing.
  for (const c of f.cameras)
    if (liveRelayOf(f, c) === serverId && !cameras.some((x) => x.id === c.id))
      cameras.push({ ...assignedCamera(c, serverId), buffer: { ms: RELAY_BUFFER_MS } });
  const group = f.groups.find((g) => g.id === me.group);
  const shadowed = group?.policy === 'hot' ? effectiveRoles(group, f.servers).hotFor.get(serverId) : undefined;
  if (shadowed && f.servers.find((s) => s.id === shadowed)?.state !== 'down') {
    for (const c of f.cameras)
      if (
        c.current === shadowed &&
        c.movable &&
        (c.failoverMode ?? 'full') === 'full' &&
        c.priority !== 'never' &&
        !cameras.some((x) => x.id === c.id)
      )
        cameras.push({ ...assignedCamera(c, serverId), buffer: { ms: hotBufferMs(f.settings.FarmHealthMissedUdpMs) } });
  }
  return cameras;
}

/**
 * What a recording server is told to do: its cameras (assignedCameras), its buddies with the Alive
 * keys of its pairs, its copy-back jobs as home and as source, and the farm settings. Pure.
 */
export function buildAssignment(f: FarmSnapshot, serverId: string, o: AssignmentParts): Assignment | undefined {
  const me = f.servers.find((s) => s.id === serverId);
  if (!me) return undefined;
  const port = (s: { udpPort: number | null }) => s.udpPort ?? f.settings.FarmHealthUdpPort;
  const buddyIds = liveBuddies(f.servers).get(serverId) ?? [];
  return {
    // Always 1 for now (the store's meta row; nothing bumps it): replicated masters with fencing, a
    // later issue, bump it with each new leader; nodes already take a new term as a new assignment.
    term: f.term,
    generation: f.generation,
    server: { id: me.id, host: me.host, udpPort: port(me), ...(me.storage && { storage: me.storage }) },
    cameras: assignedCameras(f, serverId, o),
    retentionDays: Object.fromEntries(
      f.cameras.filter((c) => c.storage?.maxStorageDays !== undefined).map((c) => [c.id, c.storage!.maxStorageDays!]),
    ),
    buddies: buddyIds
      .map((id) => f.servers.find((s) => s.id === id)!)
      .map((s) => ({ id: s.id, host: s.host, port: port(s) })),
    alive: aliveKeysFor(o.aliveKeyOf, serverId, buddyIds),
    ...(o.copyBack?.length && { copyBack: o.copyBack }),
    ...(o.copySources?.length && { copySources: o.copySources }),
    settings: {
      AliveIntervalMs: f.settings.AliveIntervalMs,
      FarmHealthStartDelayMs: f.settings.FarmHealthStartDelayMs,
      FarmHealthSockTimeoutMs: f.settings.FarmHealthSockTimeoutMs,
      FarmHealthMissedUdpMs: f.settings.FarmHealthMissedUdpMs,
      StatusIntervalMs: f.settings.StatusIntervalMs,
      CopyBackMaxBytesPerSec: f.settings.CopyBackMaxBytesPerSec,
    },
  };
}
