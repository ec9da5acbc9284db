import type { NodeStatus } from '../protocol/status.ts';
import type { Logger } from '../lib/log.ts';
import { SegmentGate } from './reported-segments.ts';

/** A server's refused segments are logged this often at most (a forger could send them with every status). */
const REFUSED_LOG_MS = 10_000;

/**
 * What the master takes of a status's segments: only those of cameras the server may report
 * (SegmentGate); the others are counted per server and logged at most every REFUSED_LOG_MS.
 */
export class SegmentAdmission {
  private readonly gate = new SegmentGate();
  /** Segments refused by server, and when that was last logged. */
  private readonly refused = new Map<string, { segments: number; loggedAt: number }>();

  constructor(private readonly log: Logger) {}

  /** The status with only the segments of `allowed` cameras (reportableCameras of the server at `now`). */
  admit(serverId: string, status: NodeStatus, allowed: ReadonlySet<string>, now: number): NodeStatus {
    // Every status, empty ones too, keeps the gate's memory of what the server was given up to date.
    const v = this.gate.filter(serverId, allowed, status.segments, now);
    if (!v.refused.size) return status;
    const count = [...v.refused.values()].reduce((a, b) => a + b, 0);
    const r = this.refused.get(serverId) ?? { segments: 0, loggedAt: Number.NEGATIVE_INFINITY };
    r.segments += count;
    this.refused.set(serverId, r);
    if (now - r.loggedAt >= REFUSED_LOG_MS) {
      r.loggedAt = now;
      this.log.warn(
        { server: serverId, cameras: Object.fromEntries(v.refused), refusedSinceStart: r.segments },
        'status segments refused: cameras this server does not record; they stay out of the timeline',
      );
    }
    return { ...status, segments: v.accepted };
  }

  /** How many segments of a server's statuses were refused since the master started. */
  refusedOf(serverId: string): number {
    return this.refused.get(serverId)?.segments ?? 0;
  }
}
