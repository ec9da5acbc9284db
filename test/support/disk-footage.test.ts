import { test } from 'node:test';
import assert from 'node:assert/strict';
import { footageHoles } from './disk-footage.ts';

const seg = (startMs: number, endMs: number) => ({ startMs, endMs });

test('footageHoles: contiguous and overlapping segments have no hole; gaps within the continuity tolerance are none', () => {
  assert.deepEqual(footageHoles([seg(0, 1000), seg(1000, 2000), seg(1500, 3000)], 0, 3000), []);
  assert.deepEqual(footageHoles([seg(0, 1000), seg(1100, 2000)], 0, 2000), []);
});

test('footageHoles: a gap between segments, and uncovered ends of the range, are holes', () => {
  assert.deepEqual(footageHoles([seg(1000, 2000), seg(2600, 3000)], 0, 4000), [
    { startMs: 0, endMs: 1000, ms: 1000 },
    { startMs: 2000, endMs: 2600, ms: 600 },
    { startMs: 3000, endMs: 4000, ms: 1000 },
  ]);
});

test('footageHoles: segments are clipped to the range, in any order', () => {
  assert.deepEqual(footageHoles([seg(5000, 6000), seg(-500, 1000), seg(1000, 2500)], 0, 2000), []);
  assert.deepEqual(footageHoles([seg(1500, 2500), seg(0, 1000)], 500, 2000), [{ startMs: 1000, endMs: 1500, ms: 500 }]);
});
