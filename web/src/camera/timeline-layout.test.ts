import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colours, instantAt, place } from './timeline-layout.ts';

test('spans are placed in percent of the range, clipped, never invisible', () => {
  assert.deepEqual(place(1000, 2000, 0, 10_000), { left: 10, width: 10 });
  assert.deepEqual(place(-5000, 2000, 0, 10_000), { left: 0, width: 20 });
  assert.equal(place(5000, 5001, 0, 3_600_000).width, 0.3);
  assert.equal(instantAt(0.5, 1000, 3000), 2000);
  assert.equal(instantAt(2, 1000, 3000), 3000);
});

test('each server keeps its colour whatever the order it is seen in', () => {
  const a = colours(['s3', 's1']);
  const b = colours(['s1', 's3', 's1']);
  assert.equal(a.get('s1'), b.get('s1'));
  assert.notEqual(a.get('s1'), a.get('s3'));
});
