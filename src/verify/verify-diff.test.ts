import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffServer } from './verify-diff.ts';
import type { NodeFile } from '../protocol/node-api.ts';

const T = 1_790_000_000_000;
const H = (c: string) => c.repeat(64);
const row = (n: number, o: object = {}) => ({
  server: 's1',
  camera: 'c',
  stream: 0,
  startMs: T + n * 1000,
  endMs: T + n * 1000 + 1000,
  bytes: 10,
  sha256: H('a'),
  ...o,
});
const file = (n: number, o: Partial<NodeFile> = {}): NodeFile => ({
  name: `c/x/${n}.ts`,
  startMs: T + n * 1000,
  endMs: T + n * 1000 + 1000,
  indexed: true,
  bytes: 10,
  sha256: H('a'),
  ...o,
});

test('timeline and disks that agree give no difference', () => {
  const d = diffServer(
    {
      server: 's1',
      timeline: [row(0), row(1)],
      intervals: [{ startMs: T, endMs: T + 2000 }],
      files: [file(0), file(1)],
    },
    T,
    T + 2000,
  );
  assert.deepEqual(d, []);
});

test('every kind of difference is found, named by server, segment and file', () => {
  const d = diffServer(
    {
      server: 's1',
      timeline: [row(0), row(1), row(2), row(3), row(7, { sha256: undefined })],
      intervals: [
        { startMs: T, endMs: T + 4000 },
        { startMs: T + 7000, endMs: T + 8000 },
        { startMs: T + 9000, endMs: T + 9500 },
      ],
      files: [
        file(0),
        file(1, { sha256: H('b') }), // bytes flipped in place
        file(2, { bytes: 11, sha256: H('c') }), // grown
        file(3, { missing: true, bytes: undefined, sha256: undefined }), // indexed, the file gone
        file(5), // never reached the timeline
        file(6, { indexed: false, endMs: undefined }), // in no index either
        file(8, { pending: true }), // recorded just now: not judged
        file(7, { sha256: H('d') }), // no hash was reported: the size is all there is to hold it to
      ],
    },
    T,
    T + 10_000,
  );
  assert.deepEqual(
    d.map((x) => [x.kind, (x.startMs ?? 0) - T, x.file]),
    [
      ['hash-differs', 1000, 'c/x/1.ts'],
      ['size-differs', 2000, 'c/x/2.ts'],
      ['missing-on-disk', 3000, 'c/x/3.ts'],
      ['not-in-timeline', 5000, 'c/x/5.ts'],
      ['not-in-timeline', 6000, 'c/x/6.ts'],
      ['timeline-without-file', 9000, undefined],
    ],
  );
  assert.ok(d.every((x) => x.server === 's1'));
  assert.deepEqual(d[0].timeline, { bytes: 10, sha256: H('a') });
  assert.deepEqual(d[0].disk, { bytes: 10, sha256: H('b') });
});

test('a file inside an interval from before segment rows were kept is in the timeline; a segment starting before the range covers its start', () => {
  const d = diffServer(
    {
      server: 's1',
      timeline: [],
      intervals: [{ startMs: T - 500, endMs: T + 2000 }],
      files: [file(-1), file(0), file(1)],
    },
    T,
    T + 2000,
  );
  assert.deepEqual(d, []);
});

test("a copy brought home and the home server's own file of the same instant are two files", () => {
  const d = diffServer(
    {
      server: 's1',
      timeline: [row(0), row(0, { recordedBy: 's2', bytes: 20, sha256: H('b') })],
      intervals: [{ startMs: T, endMs: T + 1000 }],
      files: [file(0), file(0, { name: 'c/x/0_s2+s1.ts', recordedBy: 's2', bytes: 20, sha256: H('b') })],
    },
    T,
    T + 1000,
  );
  assert.deepEqual(d, []);
});
