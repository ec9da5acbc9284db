import type { WaitingSegment } from '../storage/segment-sink.ts';

/** Where a segment that failed validation was listed, and why it failed, for the log. */
export interface InvalidSegment {
  file: string;
  reason: string;
  startMs: number | undefined;
  endMs: number;
  runId: string;
}

/**
 * Where a camera recorder's validated segments go: committed to storage and the index (record
 * mode, RecordTarget) or held in a rolling pre-buffer in staging (buffer mode, BufferTarget).
 * The recorder calls it one segment at a time, in list order.
 */
export interface SegmentTarget {
  readonly mode: 'record' | 'buffer';
  /** A run starts writing staging files whose names begin with `filePrefix`. */
  runStarting(runId: string, filePrefix: string): void;
  /** Takes a validated segment of run `runId`. */
  take(item: WaitingSegment, runId: string): Promise<void>;
  /** A listed segment failed validation: it is never indexed. */
  invalid(segment: InvalidSegment): Promise<void>;
  /** The recorder has stopped and handled its last segment: what becomes of what is held. */
  close(): Promise<void>;
}
