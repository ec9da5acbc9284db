import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subtract, uncovered, union } from './range-math.ts';

const s = (startMs: number, endMs: number) => ({ startMs, endMs });

test('union merges touching and overlapping spans, drops empty ones', () => {
  assert.deepEqual(union([s(5, 7), s(0, 2), s(2, 3), s(6, 9), s(4, 4)]), [s(0, 3), s(5, 9)]);
});

test('subtract cuts a span at the start, the end, the middle, whole or not at all', () => {
  assert.deepEqual(subtract(s(0, 10), [s(0, 2)]), [s(2, 10)]);
  assert.deepEqual(subtract(s(0, 10), [s(8, 12)]), [s(0, 8)]);
  assert.deepEqual(subtract(s(0, 10), [s(3, 4), s(6, 7)]), [s(0, 3), s(4, 6), s(7, 10)]);
  assert.deepEqual(subtract(s(0, 10), [s(-1, 11)]), []);
  assert.deepEqual(subtract(s(0, 10), [s(20, 30)]), [s(0, 10)]);
});

test('uncovered forgives holes up to the tolerance only', () => {
  assert.deepEqual(uncovered(s(0, 10), [s(0, 4), s(4.5, 7)], 1), [s(7, 10)]);
  assert.deepEqual(uncovered(s(0, 10), [s(0, 10)], 1), []);
});
