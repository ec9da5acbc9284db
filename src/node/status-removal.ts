import type { Removal } from '../storage/removal-queue.ts';
import type { NodeStatus } from '../protocol/status.ts';

/** A queued removal as the status reports it (stream 0 left out, as segments do). Pure. */
export function statusRemoval(r: Removal): NonNullable<NodeStatus['removed']>[number] {
  return { camera: r.cameraId, ...(r.stream && { stream: r.stream }), startMs: r.startMs, endMs: r.endMs };
}
