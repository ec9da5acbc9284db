import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyLines } from './verify.ts';

const T = Date.UTC(2026, 0, 1, 12);

test('a verify report reads as what was compared, then every difference with its server and file', () => {
  const lines = verifyLines({
    camera: 'c1',
    stream: 0,
    from: T,
    to: T + 3_600_000,
    ok: false,
    servers: [
      { server: 's1', reachable: true, timelineSegments: 10, files: 9, pending: 1 },
      { server: 's2', reachable: false, timelineSegments: 0, files: 0, pending: 0 },
    ],
    differences: [
      {
        kind: 'hash-differs',
        server: 's1',
        startMs: T,
        endMs: T + 2000,
        file: 'c1/x.ts',
        detail: 'the bytes on disk are not those recorded',
      },
      { kind: 'server-unreachable', server: 's2', detail: 'its files could not be listed: timeout' },
    ],
  });
  assert.deepEqual(lines, [
    'camera c1 stream 0, 2026-01-01T12:00:00.000Z to 2026-01-01T13:00:00.000Z',
    '  s1: 10 segments in the timeline, 9 files on disk, 1 not yet reported',
    '  s2: not reachable',
    '2 differences:',
    '  hash-differs          s1 2026-01-01T12:00:00.000Z..2026-01-01T12:00:02.000Z c1/x.ts: the bytes on disk are not those recorded',
    '  server-unreachable    s2: its files could not be listed: timeout',
  ]);
  assert.equal(
    verifyLines({ camera: 'c1', stream: 0, from: T, to: T + 1, ok: true, servers: [], differences: [] }).at(-1),
    'no difference',
  );
});
