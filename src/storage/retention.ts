/** A day in ms: max storage days count whole days back from now. */
export const DAY_MS = 86_400_000;

/** One storage path's file system as statfs saw it. */
export interface RetentionDisk {
  path: string;
  totalBytes: number;
  freeBytes: number;
}

/** One copy of a segment on one storage path (a segment in redundant mode has one per path). */
export interface RetentionSegment {
  id: number;
  cameraId: string;
  /** 0 = the camera's first stream. */
  stream: number;
  startMs: number;
  endMs: number;
  /** Relative to `disk`. */
  path: string;
  bytes: number;
  /** The storage path holding this copy. */
  disk: string;
}

/** Why a copy is deleted. */
export type RetentionReason = 'max-days' | 'low-space';

/** Everything a retention decision depends on. */
export interface RetentionInput {
  now: number;
  disks: RetentionDisk[];
  minFreeBytes: number;
  minFreePercent: number;
  /** Max storage days of a camera's stream; 0 = no limit. */
  maxDaysByCameraStream: (cameraId: string, stream: number) => number;
  /** Candidate copies, oldest first (the planner sorts them again, so a wrong order cannot pick the wrong ones). */
  segments: RetentionSegment[];
}

/** The copies to delete, each with its reason, oldest first within each reason. */
export interface RetentionPlan {
  delete: { id: number; disk: string; reason: RetentionReason }[];
}

/** The free space a disk must keep: the larger of the two bounds. */
export function requiredFreeBytes(
  disk: Pick<RetentionDisk, 'totalBytes'>,
  minFreeBytes: number,
  minFreePercent: number,
): number {
  return Math.max(minFreeBytes, Math.ceil((disk.totalBytes * minFreePercent) / 100));
}

/**
 * Decides what retention deletes, as Symphony does: first every copy older than its camera stream's
 * max storage days, then, on each disk whose free space is below either bound, that disk's oldest
 * copies (across cameras) until the bound would be met. Nothing else is ever deleted. Pure and
 * deterministic: same input, same plan.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  const segments = [...input.segments].sort(oldestFirst);
  const out: RetentionPlan['delete'] = [];
  const freed = new Map<string, number>();
  const kept: RetentionSegment[] = [];
  for (const s of segments) {
    const days = input.maxDaysByCameraStream(s.cameraId, s.stream);
    // The whole segment must be past the limit: a segment straddling it still holds footage to keep.
    if (days > 0 && s.endMs <= input.now - days * DAY_MS) {
      out.push({ id: s.id, disk: s.disk, reason: 'max-days' });
      freed.set(s.disk, (freed.get(s.disk) ?? 0) + s.bytes);
    } else {
      kept.push(s);
    }
  }
  for (const d of input.disks) {
    const need = requiredFreeBytes(d, input.minFreeBytes, input.minFreePercent);
    let free = d.freeBytes + (freed.get(d.path) ?? 0);
    for (const s of kept) {
      if (free >= need) break;
      if (s.disk !== d.path) continue;
      out.push({ id: s.id, disk: s.disk, reason: 'low-space' });
      free += s.bytes;
    }
  }
  return { delete: out };
}

function oldestFirst(a: RetentionSegment, b: RetentionSegment): number {
  return a.startMs - b.startMs || a.id - b.id || (a.disk < b.disk ? -1 : a.disk > b.disk ? 1 : 0);
}
