import type { FarmSnapshot } from '../store/store.ts';
import { assignedCameras, type AssignmentParts } from './assignment.ts';

/**
 * How long after a camera left a server's assignment that server's segments of it are still taken:
 * its last segments after a move, and what it recorded while it could not reach the master.
 */
export const RECENTLY_ASSIGNED_MS = 10 * 60_000;

/**
 * The cameras a server may report segments of now: those it is told to record or buffer
 * (assignedCameras: its own, the ones handed over to it, relays, hot-standby buffers), those it
 * hands over (it records them until the new server delivers), and its home cameras (they come back
 * to it, and it kept recording them when cut off from the master). Pure.
 */
export function reportableCameras(
  f: FarmSnapshot,
  serverId: string,
  o: Pick<AssignmentParts, 'handovers' | 'recordFrom'>,
): Set<string> {
  const ids = new Set(assignedCameras(f, serverId, o).map((c) => c.id));
  for (const c of f.cameras) if (c.home === serverId) ids.add(c.id);
  for (const h of o.handovers) if (h.from === serverId) ids.add(h.camera);
  return ids;
}

/** Segments a status brought: those taken, and the count refused by camera. */
export interface SegmentVerdict<S> {
  accepted: S[];
  refused: Map<string, number>;
}

/**
 * Which segments of a status enter the timeline: only those of cameras the server may report now
 * (reportableCameras) or could within the last RECENTLY_ASSIGNED_MS. A server, even one whose
 * credentials were taken, cannot put footage into the timeline of a camera it was never given.
 * Pure: the caller passes the time in.
 */
export class SegmentGate {
  /** When each camera was last reportable by each server, as the statuses came. */
  private readonly lastAllowed = new Map<string, Map<string, number>>();

  /** Splits a status's segments; `allowed` is reportableCameras of the server at `now`. */
  filter<S extends { camera: string }>(
    serverId: string,
    allowed: ReadonlySet<string>,
    segments: readonly S[],
    now: number,
  ): SegmentVerdict<S> {
    const seen = this.lastAllowed.get(serverId) ?? new Map<string, number>();
    this.lastAllowed.set(serverId, seen);
    for (const [camera, at] of seen) if (now - at > RECENTLY_ASSIGNED_MS) seen.delete(camera);
    for (const camera of allowed) seen.set(camera, now);
    const accepted: S[] = [];
    const refused = new Map<string, number>();
    for (const s of segments)
      if (seen.has(s.camera)) accepted.push(s);
      else refused.set(s.camera, (refused.get(s.camera) ?? 0) + 1);
    return { accepted, refused };
  }
}
