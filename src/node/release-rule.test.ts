import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCopyHome, mayRelease } from './release-rule.ts';

const jobs = [
  { job: 'fb1-c1~0-s2', home: 's1', camera: 'c1', stream: 0, fromMs: 10_000, toMs: 20_000 },
  { job: 'fb1-c1~1-s2', home: 's1', camera: 'c1', stream: 1, fromMs: 10_000, toMs: 20_000 },
  { job: 'fb4-c3~0-s2', home: 's3', camera: 'c3', stream: 0, fromMs: 0, toMs: 5000 },
];
const seg = (cameraId: string, startMs: number, stream = 0) => ({ cameraId, stream, startMs, endMs: startMs + 1000 });

test("only the home of a job may release the job's segments", () => {
  const cases: [string, string | undefined, ReturnType<typeof seg>, boolean][] = [
    ['the home, inside the range', 's1', seg('c1', 12_000), true],
    ['the home, the sub stream', 's1', seg('c1', 12_000, 1), true],
    ['the home, a segment overlapping the start', 's1', seg('c1', 9500), true],
    ['the home, the last one before the end', 's1', seg('c1', 19_999), true],
    ['the home, before the range', 's1', seg('c1', 9000), false],
    ['the home, at the end', 's1', seg('c1', 20_000), false],
    ['the home, a stream with no job', 's1', seg('c1', 12_000, 2), false],
    ["the home, another home's camera", 's1', seg('c3', 1000), false],
    ['the home, a camera of no job', 's1', seg('c9', 12_000), false],
    ['another home', 's3', seg('c1', 12_000), false],
    ['a server with no job', 's4', seg('c1', 12_000), false],
    ['the source itself', 's2', seg('c1', 12_000), false],
    ['a caller without a server identity', undefined, seg('c1', 12_000), false],
  ];
  for (const [what, caller, s, want] of cases) assert.equal(mayRelease(jobs, caller, s), want, what);
  assert.equal(mayRelease([], 's1', seg('c1', 12_000)), false, 'no job at all');
});

test('a caller is a copy home only of a job of this server', () => {
  assert.equal(isCopyHome(jobs, 's1'), true);
  assert.equal(isCopyHome(jobs, 's3'), true);
  assert.equal(isCopyHome(jobs, 's2'), false);
  assert.equal(isCopyHome(jobs, undefined), false);
  assert.equal(isCopyHome([], 's1'), false);
});
