import type { Clock } from '../lib/clock.ts';
import { VigilError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { IndexedSegment } from '../storage/local-index.ts';
import { storeInOrder, type SegmentSink, type WaitingSegment } from '../storage/segment-sink.ts';
import type { InvalidSegment, SegmentTarget } from './segment-target.ts';

/** Settings of a RecordTarget. */
export interface RecordTargetOptions {
  sink: SegmentSink;
  log: Logger;
  clock: Clock;
  /** Called after each segment is moved into storage and indexed. */
  onSegment?: (seg: IndexedSegment) => void;
}

/**
 * Record mode: commits each validated segment through the sink, oldest first. When no storage path
 * takes them they wait in staging, in order, and go with a later segment once a path is back: an
 * outage of every storage path leaves no hole once it ends (as long as the node's own disk holds
 * the staging). Invalid segments are left in staging for a look.
 */
export class RecordTarget implements SegmentTarget {
  readonly mode = 'record';
  /** Segments stored and indexed. */
  stored = 0;
  /** Segments the sink refused for good (left in staging, never indexed). */
  refused = 0;
  /** The latest end of a stored segment. */
  lastSegmentEndMs: number | undefined;
  /** Validated segments no storage path has taken yet, oldest first. */
  private readonly waiting: WaitingSegment[] = [];
  private waitingSince: number | undefined;

  constructor(private readonly o: RecordTargetOptions) {}

  /** Valid segments waiting in staging for a storage path to take them. */
  get unstored(): number {
    return this.waiting.length;
  }

  /** The staged files of the segments waiting for storage. */
  heldFiles(): Set<string> {
    return new Set(this.waiting.map((w) => w.staged));
  }

  runStarting(): void {}

  take(item: WaitingSegment, runId: string): Promise<void> {
    this.enqueue([item]);
    return this.storeWaiting(runId);
  }

  /** Queues `items` (oldest first) behind those waiting, to go with the next storeWaiting(). */
  enqueue(items: WaitingSegment[]): void {
    this.waiting.push(...items);
  }

  /** Commits the waiting segments, oldest first, as far as storage takes them. */
  async storeWaiting(runId: string): Promise<void> {
    const emptied = await storeInOrder(this.waiting, this.o.sink, {
      stored: (seg) => {
        this.stored++;
        this.lastSegmentEndMs = Math.max(this.lastSegmentEndMs ?? 0, seg.endMs);
        try {
          this.o.onSegment?.(seg);
        } catch (err) {
          this.o.log.error({ err, path: seg.path }, 'onSegment callback failed');
        }
      },
      refused: ({ staged, seg }, err) => {
        this.refused++;
        const code = err instanceof VigilError ? err.code : undefined;
        this.o.log.warn(
          { file: staged, startMs: seg.startMs, runId, code, err: err instanceof Error ? err.message : String(err) },
          'segment left in staging: not stored',
        );
      },
    });
    if (!emptied && this.waitingSince === undefined) {
      this.waitingSince = this.o.clock.now();
      this.o.log.warn({ waiting: this.waiting.length }, 'no storage path takes segments: they wait in staging');
    } else if (emptied && this.waitingSince !== undefined) {
      this.o.log.info(
        { waitedMs: this.o.clock.now() - this.waitingSince },
        'storage takes segments again; the waiting ones are stored',
      );
      this.waitingSince = undefined;
    }
  }

  async invalid(s: InvalidSegment): Promise<void> {
    this.o.log.warn(s, 'invalid segment left in staging');
  }

  /** Segments no storage path took yet outlive the recorder: the sink stores them when it can. */
  async close(): Promise<void> {
    if (this.waiting.length && this.o.sink.adopt) this.o.sink.adopt(this.waiting.splice(0));
  }
}
