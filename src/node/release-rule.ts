import type { CopySource } from '../protocol/assignment.ts';

/** A segment as the release rule sees it: which camera stream, over which time. */
export interface ReleasedSegment {
  cameraId: string;
  stream: number;
  startMs: number;
  endMs: number;
}

/**
 * Whether `caller` may have this server release (delete) a segment: only the home server of an
 * unfinished copy-back job whose source this server is (its assignment's copySources), for a
 * segment of the job's camera stream overlapping the job's range (what the home copies: see
 * toCopy). Anyone else, another server or a client without a server identity, is refused. Pure.
 */
export function mayRelease(jobs: readonly CopySource[], caller: string | undefined, seg: ReleasedSegment): boolean {
  if (caller === undefined) return false;
  return jobs.some(
    (j) =>
      j.home === caller &&
      j.camera === seg.cameraId &&
      j.stream === seg.stream &&
      seg.endMs > j.fromMs &&
      seg.startMs < j.toMs,
  );
}

/** Whether `caller` is the home of any of these jobs: a caller that is not may release nothing here. Pure. */
export function isCopyHome(jobs: readonly CopySource[], caller: string | undefined): boolean {
  return caller !== undefined && jobs.some((j) => j.home === caller);
}
