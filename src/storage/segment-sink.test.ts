import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../lib/errors.ts';
import { storeInOrder, type WaitingSegment } from './segment-sink.ts';

const item = (n: number): WaitingSegment => ({
  staged: `/s/${n}.ts`,
  seg: { cameraId: 'c', stream: 0, startMs: n * 1000, endMs: n * 1000 + 1000, bytes: 1 },
});

test('waiting segments are stored oldest first; an outage of all storage stops the drain and keeps the rest in order', async () => {
  const queue = [1, 2, 3, 4].map(item);
  const stored: number[] = [];
  const refused: number[] = [];
  let down = false;
  const sink = {
    async commit(staged: string, seg: WaitingSegment['seg']) {
      if (down) throw new VigilError('STORAGE_ALL_FAILED', 'no path', 503);
      if (seg.startMs === 2000) throw new VigilError('SEGMENT_EXISTS', 'exists', 409);
      if (seg.startMs === 3000) down = true; // this one is stored, the next finds every path gone
      return { id: seg.startMs, ...seg, path: staged, reported: false };
    },
  };
  const on = {
    stored: (s: { startMs: number }) => void stored.push(s.startMs / 1000),
    refused: (w: WaitingSegment) => void refused.push(w.seg.startMs / 1000),
  };
  assert.equal(await storeInOrder(queue, sink, on), false);
  assert.deepEqual([stored, refused, queue.map((w) => w.seg.startMs / 1000)], [[1, 3], [2], [4]]);
  down = false;
  assert.equal(await storeInOrder(queue, sink, on), true);
  assert.deepEqual([stored, queue], [[1, 3, 4], []]);
});
