import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continuousParts, frameIntervalMs, maxFrameJumpMs } from './segment-split.ts';

const at = (...ms: number[]) => ms.map((m) => m * 90);

test('the jump bound: one interval + the timeline tolerance, at least two intervals', () => {
  assert.equal(maxFrameJumpMs(100), 250);
  assert.equal(maxFrameJumpMs(40), 190);
  assert.equal(maxFrameJumpMs(1000), 2000);
});

const cases: { name: string; pts: number[]; bound: number; want: [number, number][] }[] = [
  { name: 'continuous', pts: at(0, 100, 200, 300), bound: 250, want: [[0, 4]] },
  { name: 'one dropped frame is no split at 10 fps', pts: at(0, 100, 300, 400), bound: 250, want: [[0, 4]] },
  {
    name: 'a 12 s jump',
    pts: at(0, 100, 200, 12_300, 12_400),
    bound: 250,
    want: [
      [0, 3],
      [3, 5],
    ],
  },
  {
    name: 'two jumps',
    pts: at(0, 100, 5000, 5100, 9000),
    bound: 250,
    want: [
      [0, 2],
      [2, 4],
      [4, 5],
    ],
  },
  // B-frames: decode order 0, 300, 100, 200, … — presentation steps stay one interval.
  { name: 'B-frames reorder without a split', pts: at(0, 300, 100, 200, 600, 400, 500), bound: 250, want: [[0, 7]] },
  { name: 'across the 33-bit wrap', pts: [2 ** 33 - 9000, 0, 9000], bound: 250, want: [[0, 3]] },
];
for (const c of cases)
  test(`continuousParts: ${c.name}`, () => {
    assert.deepEqual(
      continuousParts(c.pts, c.bound).map((p) => [p.from, p.to]),
      c.want,
    );
  });

test('the frame interval is the median presentation step', () => {
  assert.equal(frameIntervalMs(at(0, 100, 200, 5000, 5100)), 100);
  assert.equal(frameIntervalMs(at(0)), undefined);
});
