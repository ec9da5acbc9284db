import { VigilError } from '../lib/errors.ts';
import { segmentRelPath } from './layout.ts';
import type { IndexedSegment, LocalIndex } from './local-index.ts';
import type { StoragePaths } from './storage-paths.ts';

/** A validated segment still in staging, with the times and size validation found. */
export interface StagedSegment {
  cameraId: string;
  stream: number;
  startMs: number;
  endMs: number;
  bytes: number;
}

/** Where recorders hand their validated segments: into storage and the index, or an error. */
export interface SegmentSink {
  /**
   * Puts the staged file into storage and indexes it. Throws VigilError 'SEGMENT_EXISTS' (nothing
   * written, staged file kept) when a segment with that name is known, and 'STORAGE_ALL_FAILED'
   * (staged file kept) when no storage path took it.
   */
  commit(staged: string, seg: StagedSegment): Promise<IndexedSegment>;
  /** Takes over segments a stopping recorder could not store, to store them once storage is back. */
  adopt?(items: { staged: string; seg: StagedSegment }[]): void;
}

/** Settings of a StorageSink. */
export interface StorageSinkOptions {
  nodeId: string;
  index: LocalIndex;
  /** The storage paths a camera records to (its own overrides, or the server's). */
  pathsFor: (cameraId: string) => StoragePaths;
}

/**
 * Commits segments through a camera's StoragePaths (failover or redundant) and indexes them with
 * the paths that took them, in one index transaction, so retention always knows where a file lies.
 */
export class StorageSink implements SegmentSink {
  constructor(private readonly o: StorageSinkOptions) {}

  async commit(staged: string, seg: StagedSegment): Promise<IndexedSegment> {
    const path = segmentRelPath(seg.cameraId, seg.startMs, this.o.nodeId, 'ts', seg.stream);
    // Never overwrite a recording: two segments claiming the same start ms is a bug upstream.
    if (this.o.index.byPath(path)) throw new VigilError('SEGMENT_EXISTS', `${path} is indexed already; not overwritten`, 409);
    const { written } = await this.o.pathsFor(seg.cameraId).commit(staged, path);
    const id = this.o.index.addStored({ ...seg, path }, written);
    return { id, ...seg, path, reported: false };
  }
}
