import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../lib/errors.ts';
import type { SegmentSink, StagedSegment } from '../storage/segment-sink.ts';
import { collisionSafe } from './collision-safe-sink.ts';

function sinkWith(taken: Set<number>): SegmentSink & { stored: StagedSegment[] } {
  const stored: StagedSegment[] = [];
  return {
    stored,
    async commit(_staged, seg) {
      if (taken.has(seg.startMs)) throw new VigilError('SEGMENT_EXISTS', 'exists', 409);
      taken.add(seg.startMs);
      stored.push(seg);
      return { id: stored.length, ...seg, path: `p${seg.startMs}`, reported: false };
    },
  };
}

test('a name clash moves the start by 1 ms instead of stranding the file', async () => {
  const inner = sinkWith(new Set([1000, 1001]));
  const seg = await collisionSafe(inner).commit('/s/a.ts', {
    cameraId: 'c',
    stream: 0,
    startMs: 1000,
    endMs: 2000,
    bytes: 1,
  });
  assert.equal(seg.startMs, 1002);
});

test('other errors, and a clash that cannot move, are thrown', async () => {
  const inner = sinkWith(new Set([1000]));
  await assert.rejects(
    collisionSafe(inner).commit('/s/a.ts', { cameraId: 'c', stream: 0, startMs: 1000, endMs: 1001, bytes: 1 }),
    /exists/,
  );
  const failing: SegmentSink = {
    commit: async () => {
      throw new VigilError('STORAGE_ALL_FAILED', 'no path', 503);
    },
  };
  await assert.rejects(
    collisionSafe(failing).commit('/s/a.ts', { cameraId: 'c', stream: 0, startMs: 1, endMs: 9, bytes: 1 }),
    /no path/,
  );
});
