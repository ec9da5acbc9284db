/** A day in ms: max storage days count whole days back from now. */
export const DAY_MS = 86_400_000;

/** One storage path's file system as statfs saw it. */
export interface RetentionPath {
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
  /** Relative to `storagePath`. */
  path: string;
  bytes: number;
  /** The storage path holding this copy. */
  storagePath: string;
}

/** Why a copy is deleted. */
export type RetentionReason = 'max-days' | 'low-space';

/** Everything a retention decision depends on. */
export interface RetentionInput {
  now: number;
  paths: RetentionPath[];
  minFreeBytes: number;
  minFreePercent: number;
  /** Max storage days of a camera's stream; 0 = no limit. */
  maxDaysByCameraStream: (cameraId: string, stream: number) => number;
  /** Candidate copies, oldest first (the planner sorts them again, so a wrong order cannot pick the wrong ones). */
  segments: RetentionSegment[];
}

/** The copies to delete, each with its reason, oldest first within each reason. */
export interface RetentionPlan {
  delete: { id: number; storagePath: string; reason: RetentionReason }[];
}

/** The free space a storage path must keep: the larger of the two bounds. */
export function requiredFreeBytes(
  space: Pick<RetentionPath, 'totalBytes'>,
  minFreeBytes: number,
  minFreePercent: number,
): number {
  return Math.max(minFreeBytes, Math.ceil((space.totalBytes * minFreePercent) / 100));
}

/**
 * Decides what retention deletes, as Symphony does: first every copy older than its camera stream's
 * max storage days, then, on each storage path whose free space is below either bound, that path's oldest
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
      out.push({ id: s.id, storagePath: s.storagePath, reason: 'max-days' });
      freed.set(s.storagePath, (freed.get(s.storagePath) ?? 0) + s.bytes);
    } else {
      kept.push(s);
    }
  }
  for (const d of input.paths) {
    const need = requiredFreeBytes(d, input.minFreeBytes, input.minFreePercent);
    let free = d.freeBytes + (freed.get(d.path) ?? 0);
    for (const s of kept) {
      if (free >= need) break;
      if (s.storagePath !== d.path) continue;
      out.push({ id: s.id, storagePath: s.storagePath, reason: 'low-space' });
      free += s.bytes;
    }
  }
  return { delete: out };
}

function oldestFirst(a: RetentionSegment, b: RetentionSegment): number {
  return (
    a.startMs - b.startMs || a.id - b.id || (a.storagePath < b.storagePath ? -1 : a.storagePath > b.storagePath ? 1 : 0)
  );
}
