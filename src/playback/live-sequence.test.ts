import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveSequence } from './live-sequence.ts';

const T0 = 1_700_000_000_000;
/** Segment i of a camera: index id 10*i (other cameras take the ids between), 1 s long. */
const seg = (i: number, holeMs = 0) => ({
  id: 10 * i,
  uri: `${i}`,
  startMs: T0 + i * 1000 + holeMs,
  endMs: T0 + (i + 1) * 1000 + holeMs,
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => seg(from + k));

test('a segment keeps its number on every reload, and the window moves one number per segment', () => {
  const live = new LiveSequence();
  const a = live.number('c1', range(0, 6));
  assert.deepEqual(a, { seq: T0 / 1000, disc: 0 }, 'a fresh stream starts at its first epoch second');
  assert.deepEqual(live.number('c1', range(0, 6)), a, 'same view, same numbers');
  assert.deepEqual(live.number('c1', range(2, 8)), { seq: a.seq + 2, disc: 0 });
  assert.deepEqual(live.number('c1', range(7, 13)), { seq: a.seq + 7, disc: 0 });
});

test('cameras are numbered apart', () => {
  const live = new LiveSequence();
  live.number('c1', range(0, 6));
  assert.deepEqual(live.number('c2', [seg(3)]), { seq: T0 / 1000 + 3, disc: 0 });
});

test('discontinuities are counted, also after they slid out of view', () => {
  const live = new LiveSequence();
  const first = live.number('c1', [seg(0), seg(1), seg(2, 5000), seg(3, 5000)]);
  const later = live.number('c1', [seg(2, 5000), seg(3, 5000), seg(4, 5000)]);
  assert.deepEqual(later, { seq: first.seq + 2, disc: 1 });
});

test('a view with nothing numbered before goes on from the last number, as a discontinuity', () => {
  const live = new LiveSequence();
  const a = live.number('c1', range(0, 3));
  const b = live.number('c1', range(100, 103));
  assert.ok(b.seq > a.seq + 2, 'numbers only rise');
  assert.equal(b.disc, 1);
  assert.deepEqual(live.number('c1', []), { seq: 0, disc: 0 });
});
