import { VigilError } from '../lib/errors.ts';
import { sha256File } from '../node/file-digest.ts';
import type { ChainedSegment } from './segment-chain.ts';
import { segmentRelPath, writerTag } from './layout.ts';
import type { IndexedSegment, LocalIndex } from './local-index.ts';
import type { CommitOptions, StoragePaths } from './storage-paths.ts';

/** A validated segment still in staging, with the times and size validation found. */
export interface StagedSegment {
  cameraId: string;
  stream: number;
  startMs: number;
  endMs: number;
  bytes: number;
  /** The server that recorded it, when not this one (a copy-back): it names the file, so a copy never takes the name of this server's own recording of the same instant. */
  recordedBy?: string;
}

/** Where recorders hand their validated segments: into storage and the index, or an error. */
export interface SegmentSink {
  /**
   * Puts the staged file into storage and indexes it. Throws VigilError 'SEGMENT_EXISTS' (nothing
   * written, staged file kept) when a segment with that name is known, and 'STORAGE_ALL_FAILED'
   * (staged file kept) when no storage path took it. With `durable`, the stored file and its name
   * are on disk (fsync) when it resolves.
   */
  commit(staged: string, seg: StagedSegment, o?: CommitOptions): Promise<IndexedSegment>;
  /** Takes over segments a stopping recorder could not store, to store them once storage is back. */
  adopt?(items: WaitingSegment[]): void;
}

/** Settings of a StorageSink. */
export interface StorageSinkOptions {
  nodeId: string;
  index: LocalIndex;
  /** The storage paths a camera records to (its own overrides, or the server's). */
  pathsFor: (cameraId: string) => StoragePaths;
  /** Told of each segment this server recorded once it is stored and indexed, with its file's SHA-256: the segment chain's link. */
  chained?: (segmentId: number, seg: ChainedSegment) => void;
}

/**
 * Commits segments through a camera's StoragePaths (failover or redundant) and indexes them with
 * the paths that took them, in one index transaction, so retention always knows where a file lies.
 */
export class StorageSink implements SegmentSink {
  constructor(private readonly o: StorageSinkOptions) {}

  async commit(staged: string, seg: StagedSegment, o?: CommitOptions): Promise<IndexedSegment> {
    const { recordedBy, ...segment } = seg;
    const path = segmentRelPath(seg.cameraId, seg.startMs, writerTag(this.o.nodeId, recordedBy), 'ts', seg.stream);
    // Never overwrite a recording: two segments claiming the same start ms is a bug upstream.
    if (this.o.index.byPath(path))
      throw new VigilError('SEGMENT_EXISTS', `${path} is indexed already; not overwritten`, 409);
    // Hashed once, from staging, before any copy exists: the bytes as recorded, reported to the
    // master with the segment and kept in the index, what verify later holds the disks to, and
    // what this server's signed chain vouches for (a copy brought home, recordedBy, is vouched for
    // by its recorder's own chain).
    const sha256 = await this.hash(staged);
    const { written } = await this.o.pathsFor(seg.cameraId).commit(staged, path, o);
    const id = this.o.index.addStored({ ...segment, path, sha256 }, written, { durable: o?.durable });
    if (sha256 !== undefined && !recordedBy)
      this.o.chained?.(id, {
        camera: seg.cameraId,
        stream: seg.stream,
        startMs: seg.startMs,
        endMs: seg.endMs,
        bytes: seg.bytes,
        sha256,
      });
    return { id, ...segment, path, sha256, reported: false };
  }

  /** The staged file's SHA-256; a staged file gone is the commit's own error (SEGMENT_MISSING), not the hash's. */
  private async hash(staged: string): Promise<string | undefined> {
    try {
      return (await sha256File(staged)).sha256;
    } catch {
      return undefined;
    }
  }
}

/** A validated segment in staging that no storage path has taken yet. */
export interface WaitingSegment {
  staged: string;
  seg: StagedSegment;
}

/**
 * Commits waiting segments oldest first, removing each from `queue` once it is stored (or refused
 * for good). Stops, leaving the rest in order, when no storage path takes writes; returns whether
 * the queue was emptied. The one loop behind "an outage of every storage path leaves no hole".
 */
export async function storeInOrder(
  queue: WaitingSegment[],
  sink: Pick<SegmentSink, 'commit'>,
  on: { stored: (seg: IndexedSegment) => void; refused: (item: WaitingSegment, err: unknown) => void },
): Promise<boolean> {
  while (queue.length) {
    const item = queue[0];
    let seg: IndexedSegment;
    try {
      seg = await sink.commit(item.staged, item.seg);
    } catch (err) {
      if (err instanceof VigilError && err.code === 'STORAGE_ALL_FAILED') return false;
      queue.shift();
      on.refused(item, err);
      continue;
    }
    queue.shift();
    on.stored(seg);
  }
  return true;
}
