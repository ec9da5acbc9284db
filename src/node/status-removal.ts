import type { Removal } from '../storage/removal-queue.ts';
import type { NodeStatus } from '../protocol/status.ts';
import { recorderOfCopy } from '../storage/layout.ts';

/** A queued removal as the status reports it (stream 0 left out, as segments do). Pure. */
export function statusRemoval(r: Removal): NonNullable<NodeStatus['removed']>[number] {
  const recordedBy = recorderOfCopy(r.path);
  return {
    camera: r.cameraId,
    ...(r.stream && { stream: r.stream }),
    ...(recordedBy && { recordedBy }),
    startMs: r.startMs,
    endMs: r.endMs,
  };
}
