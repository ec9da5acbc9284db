import { VigilError } from '../lib/errors.ts';
import type { SegmentSink } from '../storage/segment-sink.ts';

/** How many 1 ms steps a segment's start may be moved to find a free name. */
const MAX_SHIFT_MS = 20;

/**
 * A sink that never strands a segment on a name clash: a segment's file is named by its start ms,
 * and two different recordings of one stream may claim the same ms (two runs around a restart,
 * a recovered file beside a live one), so on SEGMENT_EXISTS it is committed 1 ms later, up to
 * MAX_SHIFT_MS, rather than left in staging. Beyond that the clash is a bug and is thrown.
 */
export function collisionSafe(sink: SegmentSink): SegmentSink {
  return {
    async commit(staged, seg, o) {
      for (let shift = 0; ; shift++) {
        try {
          return await sink.commit(staged, { ...seg, startMs: seg.startMs + shift }, o);
        } catch (err) {
          const clash = err instanceof VigilError && err.code === 'SEGMENT_EXISTS';
          if (!clash || shift >= MAX_SHIFT_MS || seg.startMs + shift + 1 >= seg.endMs) throw err;
        }
      }
    },
    ...(sink.adopt && { adopt: (items) => sink.adopt!(items) }),
  };
}
