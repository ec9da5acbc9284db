import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, exportGaps } from './export-manifest.ts';

test('canonical JSON sorts keys at every depth and leaves out undefined, so a manifest always signs the same bytes', () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, b: 'x' }] }), '{"a":[{"b":"x","d":2}],"b":1}');
});

test('every hole of an export is named, at the edges too, with why', () => {
  const seg = (a: number, b: number) => ({ startMs: a, endMs: b });
  const gaps = exportGaps(
    [seg(1000, 2000), seg(2100, 3000), seg(4000, 5000), seg(6000, 7000)],
    0,
    9000,
    [seg(0, 3000), seg(5000, 6000)], // the timeline: footage at 5–6 s the export lacks
    [seg(3000, 4000)], // left out at a seam
  );
  assert.deepEqual(
    gaps.map((g) => [g.startMs, g.endMs, g.reason]),
    [
      [0, 1000, 'missing'],
      [3000, 4000, 'overlap'],
      [5000, 6000, 'missing'],
      [7000, 9000, 'not-recorded'],
    ],
    'a 100 ms seam (within JITTER_MS) is no hole',
  );
});
