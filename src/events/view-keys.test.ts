import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cameraKey, serverKey } from './view-keys.ts';

const server = (o: Record<string, unknown> = {}) => ({
  id: 's1',
  state: 'up',
  health: 'up',
  lastStatusAt: 1,
  statusSeq: 1,
  udp: { sent: 1 },
  clock: { offsetMs: 3 },
  staleStatuses: 0,
  storage: { paths: [{ path: '/a', healthy: true, space: { freeBytes: 500 } }] },
  disk: { paths: 1, failedPaths: 0, freeBytes: 500_000, totalBytes: 1_000_000 },
  ...o,
});

test('a status that changes only its time, sequence, counters, clock jitter or a little free space is no change', () => {
  const k = serverKey(server());
  assert.equal(
    serverKey(
      server({
        lastStatusAt: 2,
        statusSeq: 2,
        udp: { sent: 9 },
        clock: { offsetMs: 4 },
        staleStatuses: 1,
        disk: { paths: 1, failedPaths: 0, freeBytes: 498_000, totalBytes: 1_000_000 },
      }),
    ),
    k,
  );
});

test('a change of state, health, cameras, a failed path, a clock warning or free space by more than 1 % is one', () => {
  const k = serverKey(server());
  for (const o of [
    { state: 'down' },
    { health: 'suspect' },
    { cameras: ['c1'] },
    { storage: { paths: [{ path: '/a', healthy: false }] } },
    { clock: { offsetMs: 900, warning: 'off by 900 ms' } },
    { disk: { paths: 1, failedPaths: 0, freeBytes: 480_000, totalBytes: 1_000_000 } },
    { disk: { paths: 1, failedPaths: 1, freeBytes: 500_000, totalBytes: 1_000_000 } },
  ])
    assert.notEqual(serverKey(server(o)), k, JSON.stringify(o));
});

test("a camera's last segment and clock jitter are no change; its recording state and server are", () => {
  const c = { id: 'c1', recording: 'recording', currentServer: 's1', lastSegmentEndMs: 1, clockOffsetMs: 2 };
  const k = cameraKey(c);
  assert.equal(cameraKey({ ...c, lastSegmentEndMs: 9, clockOffsetMs: 3 }), k);
  assert.notEqual(cameraKey({ ...c, recording: 'unrecorded' }), k);
  assert.notEqual(cameraKey({ ...c, currentServer: 's3' }), k);
});
