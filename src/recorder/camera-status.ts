import type { CameraState } from './camera-health.ts';

/** What a camera recorder is doing, for health reports and tests. */
export interface CameraStatus {
  /** starting, recording, stalled, offline or failing: see CameraState. */
  state: CameraState;
  lastSegmentEndMs?: number;
  /** Segments indexed since start(). */
  segments: number;
  /** Segments ffmpeg listed that failed validation (left in staging, deleted in buffer mode; never indexed). */
  invalidSegments: number;
  /** Valid segments waiting in staging for a storage path to take them. */
  unstoredSegments: number;
  /** ffmpeg runs after the first one, whatever ended the previous run. */
  restarts: number;
  /** When `state` last changed (clock ms). */
  since: number;
  /** The running ffmpeg's pid, if one runs. */
  pid?: number;
  /** record: segments are committed; buffer: they are only held in a rolling pre-buffer (hot standby). */
  mode: 'record' | 'buffer';
  /** Segments held in the pre-buffer (0 in record mode). */
  buffered: number;
  /** The camera's clock − the farm's (ms) as its RTCP sender reports show it; absent without any. */
  clockOffsetMs?: number;
}
