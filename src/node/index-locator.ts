import { resolveInside } from '../lib/inside-root.ts';
import { segmentRelPath, writerTag } from '../storage/layout.ts';
import type { IndexedSegment, LocalIndex } from '../storage/local-index.ts';
import type { StagedSegment } from '../storage/segment-sink.ts';

/**
 * The `locate` port over a node's index: the file of the segment the sink would name from these
 * times (the path StorageSink gives it with this node's id), read from the first storage path
 * holding it, or undefined.
 */
export function indexLocator(o: {
  index: LocalIndex;
  nodeId: string;
  roots: (seg: IndexedSegment) => string[];
}): (seg: StagedSegment) => Promise<string | undefined> {
  return async (seg) => {
    const row = o.index.byPath(
      segmentRelPath(seg.cameraId, seg.startMs, writerTag(o.nodeId, seg.recordedBy), 'ts', seg.stream),
    );
    if (!row) return undefined;
    for (const root of o.roots(row)) {
      const file = await resolveInside(root, row.path);
      if (file) return file;
    }
    return undefined;
  };
}
