import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeline } from './timeline.ts';

test('a failover: two servers, a hole between them', () => {
  const t = timeline(
    [
      { server: 's1', startMs: 0, endMs: 10_000 },
      { server: 's3', startMs: 13_500, endMs: 20_000 },
    ],
    0,
    30_000,
  );
  assert.deepEqual(t, {
    intervals: [
      { startMs: 0, endMs: 10_000, servers: ['s1'] },
      { startMs: 13_500, endMs: 20_000, servers: ['s3'] },
    ],
    gaps: [{ startMs: 10_000, endMs: 13_500, ms: 3500 }],
  });
});

test('overlapping and touching recordings make one interval with no gap', () => {
  const t = timeline(
    [
      { server: 'b', startMs: 900, endMs: 2000 },
      { server: 'a', startMs: 0, endMs: 1000 },
      { server: 'a', startMs: 2000, endMs: 3000 },
    ],
    0,
    5000,
  );
  assert.deepEqual(t, { intervals: [{ startMs: 0, endMs: 3000, servers: ['a', 'b'] }], gaps: [] });
});

test('clipped to the asked range; nothing recorded gives an empty answer', () => {
  assert.deepEqual(timeline([{ server: 'a', startMs: 0, endMs: 10_000 }], 2000, 3000).intervals, [
    { startMs: 2000, endMs: 3000, servers: ['a'] },
  ]);
  assert.deepEqual(timeline([{ server: 'a', startMs: 0, endMs: 10_000 }], 20_000, 30_000), { intervals: [], gaps: [] });
});
