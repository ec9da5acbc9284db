import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECENTLY_ASSIGNED_MS, SegmentGate, reportableCameras } from './reported-segments.ts';
import type { FarmSnapshot } from '../store/store.ts';
import type { Handover } from './assignment.ts';

const seg = (camera: string, startMs = 0) => ({ camera, startMs, endMs: startMs + 1000 });

test("a server's segments of a camera it may report are taken, others refused and counted by camera", () => {
  const gate = new SegmentGate();
  const v = gate.filter('s2', new Set(['c2']), [seg('c2'), seg('c1'), seg('c1', 1000), seg('c9')], 0);
  assert.deepEqual(v.accepted, [seg('c2')]);
  assert.deepEqual(
    [...v.refused],
    [
      ['c1', 2],
      ['c9', 1],
    ],
  );
});

test('a camera that left the assignment is still taken for RECENTLY_ASSIGNED_MS, then refused', () => {
  const gate = new SegmentGate();
  gate.filter('s1', new Set(['c1']), [], 1000);
  const taken = gate.filter('s1', new Set(), [seg('c1')], 1000 + RECENTLY_ASSIGNED_MS);
  assert.equal(taken.accepted.length, 1, 'the last segments after a move');
  const late = gate.filter('s1', new Set(), [seg('c1')], 1001 + RECENTLY_ASSIGNED_MS);
  assert.equal(late.accepted.length, 0);
  assert.equal(late.refused.get('c1'), 1);
  // Another server's memory is its own.
  assert.equal(gate.filter('s2', new Set(), [seg('c1')], 2000).accepted.length, 0);
});

test('reportable: owned, handed over to or from it, relayed, pre-buffered, and its home cameras', () => {
  const cam = (id: string, home: string, current: string, more: object = {}) => ({
    id,
    home,
    current,
    url: `rtsp://h/${id}`,
    movable: true,
    priority: 'normal',
    runtime: {},
    ...more,
  });
  const server = (id: string, state = 'up', group = 1, more: object = {}) => ({
    id,
    group,
    host: '127.0.0.1',
    udpPort: null,
    state,
    runtime: {},
    ...more,
  });
  const f = {
    servers: [
      server('s1', 'down'),
      server('s2'),
      server('s3'),
      server('h1', 'up', 2),
      server('h2', 'up', 2, { hotStandbyFor: 'h1' }),
    ],
    groups: [
      { id: 1, policy: 'spare' },
      { id: 2, policy: 'hot' },
    ],
    cameras: [
      cam('c1', 's1', 's2'), // failed over to s2
      cam('c2', 's2', 's3'), // s2's own, running on s3
      cam('c3', 's3', 's3'), // handed over from s3 to s2
      cam('c4', 's1', 's1', { runtime: { relay: 's2' }, failoverMode: 'live' }), // relayed by s2
      cam('c5', 's3', 's3'),
      cam('h', 'h1', 'h1'),
    ],
    settings: { FarmHealthMissedUdpMs: 2000 },
  } as unknown as FarmSnapshot;
  const handovers: Handover[] = [{ camera: 'c3', from: 's3', to: 's2', startedAt: 0, reason: 'move', logId: 1 }];
  const o = { handovers, recordFrom: new Map<string, number>() };
  assert.deepEqual([...reportableCameras(f, 's2', o)].sort(), ['c1', 'c2', 'c3', 'c4']);
  assert.deepEqual([...reportableCameras(f, 's3', o)].sort(), ['c2', 'c3', 'c5']);
  assert.deepEqual([...reportableCameras(f, 'h2', o)], ['h'], "the hot standby's pre-buffer");
  assert.deepEqual([...reportableCameras(f, 'nobody', o)], []);
});
