import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import type { IndexedSegment } from '../storage/local-index.ts';
import type { SegmentSink, StagedSegment, WaitingSegment } from '../storage/segment-sink.ts';
import { RecordTarget } from './record-target.ts';

const log = createLogger('test', 'silent');
const item = (n: number): WaitingSegment => ({
  staged: `/staging/cam1/${n}.ts`,
  seg: { cameraId: 'cam1', stream: 0, startMs: n * 1000, endMs: n * 1000 + 1000, bytes: 10 },
});

/** A sink that stores while `up`, answers STORAGE_ALL_FAILED otherwise, and refuses `refuse` for good. */
function fakeSink(refuse = new Set<string>()) {
  const stored: string[] = [];
  const adopted: WaitingSegment[] = [];
  const state = { up: true };
  const sink: SegmentSink = {
    async commit(staged: string, seg: StagedSegment): Promise<IndexedSegment> {
      if (refuse.has(staged)) throw new VigilError('SEGMENT_EXISTS', 'exists', 409);
      if (!state.up) throw new VigilError('STORAGE_ALL_FAILED', 'no path', 503);
      stored.push(staged);
      return { id: stored.length, ...seg, path: staged, reported: false };
    },
    adopt: (items) => void adopted.push(...items),
  };
  return { sink, stored, adopted, state };
}

test('record mode stores each segment and reports it', async () => {
  const { sink, stored } = fakeSink();
  const seen: number[] = [];
  const t = new RecordTarget({ sink, log, clock: { now: () => 0 }, onSegment: (s) => seen.push(s.startMs) });
  await t.take(item(1), 'r');
  await t.take(item(2), 'r');
  assert.deepEqual(stored, [item(1).staged, item(2).staged]);
  assert.deepEqual(seen, [1000, 2000]);
  assert.deepEqual([t.stored, t.refused, t.unstored, t.lastSegmentEndMs], [2, 0, 0, 3000]);
});

test('with no storage path, segments wait in order and go, oldest first, once a path is back', async () => {
  const { sink, stored, state } = fakeSink();
  const t = new RecordTarget({ sink, log, clock: { now: () => 0 } });
  state.up = false;
  await t.take(item(1), 'r');
  await t.take(item(2), 'r');
  assert.deepEqual([t.stored, t.unstored], [0, 2]);
  state.up = true;
  await t.take(item(3), 'r');
  assert.deepEqual(
    stored,
    [1, 2, 3].map((n) => item(n).staged),
  );
  assert.deepEqual([t.stored, t.unstored], [3, 0]);
});

test('a segment refused for good is counted and skipped; the ones after it are stored', async () => {
  const { sink, stored } = fakeSink(new Set([item(1).staged]));
  const t = new RecordTarget({ sink, log, clock: { now: () => 0 } });
  await t.take(item(1), 'r');
  await t.take(item(2), 'r');
  assert.deepEqual(stored, [item(2).staged]);
  assert.deepEqual([t.stored, t.refused], [1, 1]);
});

test('a throwing onSegment callback does not stop storing', async () => {
  const { sink, stored } = fakeSink();
  const t = new RecordTarget({
    sink,
    log,
    clock: { now: () => 0 },
    onSegment: () => {
      throw new Error('boom');
    },
  });
  await t.take(item(1), 'r');
  await t.take(item(2), 'r');
  assert.equal(stored.length, 2);
});

test('enqueued segments go with the next storeWaiting, behind those already waiting', async () => {
  const { sink, stored } = fakeSink();
  const t = new RecordTarget({ sink, log, clock: { now: () => 0 } });
  t.enqueue([item(1), item(2)]);
  assert.equal(t.unstored, 2);
  await t.storeWaiting('r');
  assert.deepEqual(stored, [item(1).staged, item(2).staged]);
});

test('segments still waiting at close are handed to the sink to adopt', async () => {
  const { sink, adopted, state } = fakeSink();
  const t = new RecordTarget({ sink, log, clock: { now: () => 0 } });
  state.up = false;
  await t.take(item(1), 'r');
  await t.close();
  assert.deepEqual(adopted, [item(1)]);
  assert.equal(t.unstored, 0);
});
