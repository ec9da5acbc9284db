import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import type { WaitingSegment } from '../storage/segment-sink.ts';
import { splitForCommit, trimRing } from './segment-ring.ts';
import type { InvalidSegment, SegmentTarget } from './segment-target.ts';

/** A segment held in a pre-buffer: a staged file, never indexed. */
export interface BufferedSegment {
  file: string;
  startMs: number;
  endMs: number;
  bytes: number;
}

/** Settings of a BufferTarget. */
export interface BufferTargetOptions {
  /** The window held: segments ending at most this long before the newest end. */
  ms: number;
  /** The staging folder the recorder's runs write into. */
  stagingDir: string;
  log: Logger;
}

/**
 * Buffer mode (hot standby): holds the validated segments of the last `ms` milliseconds in staging,
 * never stored or indexed, and deletes the rest, invalid ones and dead runs' leftovers included
 * (a buffer may live in memory, on a tmpfs). promote() hands the held segments over for recording.
 */
export class BufferTarget implements SegmentTarget {
  readonly mode = 'buffer';
  /** The held segments, oldest first; their files stay in staging. */
  private ring: WaitingSegment[] = [];
  /**
   * Runs (runId → its staging file prefix) that may have files in staging: what a buffer must
   * delete that it never listed, such as a killed ffmpeg's unfinished file.
   */
  private readonly runs = new Map<string, string>();
  private lastRunId: string | undefined;

  constructor(private readonly o: BufferTargetOptions) {}

  /** How many segments are held. */
  get size(): number {
    return this.ring.length;
  }

  /** The held segments, oldest first (a live relay plays them). */
  held(): BufferedSegment[] {
    return this.ring.map((w) => ({ file: w.staged, startMs: w.seg.startMs, endMs: w.seg.endMs, bytes: w.seg.bytes }));
  }

  runStarting(runId: string, filePrefix: string): void {
    this.runs.set(runId, filePrefix);
  }

  /** Holds the segment and deletes those that fell out of the window. */
  async take(item: WaitingSegment, runId: string): Promise<void> {
    this.ring.push(item);
    const { keep, drop } = trimRing(this.ring, this.o.ms);
    this.ring = keep;
    await this.remove(drop.map((w) => w.staged));
    // A run's first segment means the runs before it are over: what they left unlisted is useless.
    if (runId !== this.lastRunId) {
      this.lastRunId = runId;
      await this.sweepRuns([], runId);
    }
  }

  /** Never committed anyway, and a buffer may be in memory (tmpfs): invalid ones do not pile up. */
  async invalid(s: InvalidSegment): Promise<void> {
    this.o.log.warn(s, 'invalid segment dropped from the buffer');
    await this.remove([s.file]);
  }

  /**
   * Ends buffering: `commit` is the held segments ending after `recordFromMs` (all without it),
   * oldest first, emptied out of the buffer at once; `cleanup` deletes the others and what earlier
   * runs than `currentRunId` left (the running ffmpeg's files are recordings from now on).
   */
  promote(
    recordFromMs: number | undefined,
    currentRunId: string,
  ): { commit: WaitingSegment[]; dropped: number; cleanup: Promise<void> } {
    const { commit, drop } = splitForCommit(this.ring.splice(0), recordFromMs);
    const cleanup = (async () => {
      await this.remove(drop.map((w) => w.staged));
      await this.sweepRuns(commit, currentRunId);
      this.runs.clear();
    })();
    return { commit, dropped: drop.length, cleanup };
  }

  /** Nothing of a buffer outlives its recorder. */
  async close(): Promise<void> {
    await this.remove(this.ring.splice(0).map((w) => w.staged));
    await this.sweepRuns([]);
  }

  /**
   * Deletes the files of runs other than `keepRunId` that no one holds (in the ring or in
   * `alsoHeld`); forgets a run once nothing of it is held. Only this recorder's runs: the staging
   * folder may hold another recorder's segments a sink adopted.
   */
  private async sweepRuns(alsoHeld: WaitingSegment[], keepRunId?: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.o.stagingDir);
    } catch {
      return;
    }
    const held = new Set([...this.ring, ...alsoHeld].map((w) => basename(w.staged)));
    for (const [runId, prefix] of this.runs) {
      if (runId === keepRunId) continue;
      const files = names.filter((n) => n.startsWith(prefix));
      await this.remove(files.filter((n) => !held.has(n)).map((n) => join(this.o.stagingDir, n)));
      if (!files.some((n) => held.has(n))) this.runs.delete(runId);
    }
  }

  /** Deletes staged files; a failure is logged, not thrown (the file is only litter then). */
  private async remove(files: string[]): Promise<void> {
    await Promise.all(
      files.map((f) =>
        rm(f, { force: true }).catch((err: unknown) =>
          this.o.log.warn({ err, file: f }, 'deleting a buffered segment failed'),
        ),
      ),
    );
  }
}
