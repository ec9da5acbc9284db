import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { defaultSettings } from '../config/farm-config.ts';
import { groupFailoverDefaults } from '../config/failover-settings.ts';
import { ServerClocks } from '../master/server-clocks.ts';
import type { NodeStatus } from '../protocol/status.ts';
import type { FarmSnapshot, ServerRow } from '../store/rows.ts';
import { serverViews, type ViewSource } from './farm-views.ts';

const srv = (id: string, x: Partial<ServerRow> = {}): ServerRow => ({
  id,
  group: 1,
  host: '127.0.0.1',
  udpPort: null,
  state: 'up',
  downSince: null,
  runtime: {},
  ...x,
});

test('serverViews: health, role by configuration, reporters, disk and failing cameras of each server', () => {
  const farm: FarmSnapshot = {
    settings: defaultSettings(),
    groups: [{ id: 1, redundancy: true, ...groupFailoverDefaults({ policy: 'standby', failoverServers: ['f1'] }) }],
    servers: [
      srv('s1', { state: 'down', downSince: 9000 }),
      srv('s2', { state: 'suspect' }),
      srv('f1'),
      srv('d1', { runtime: { maintenance: true } }),
      srv('late'),
    ],
    cameras: [
      { id: 'c1', url: 'rtsp://u:p@cam/1', home: 's1', current: 'f1', movable: true, runtime: {} },
      { id: 'c2', url: 'rtsp://cam/2', home: 's2', current: 's2', movable: true, runtime: {} },
    ],
    generation: 3,
    term: 1,
  };
  const now = 10_000;
  const status = (x: Partial<NodeStatus>): NodeStatus => ({
    bootId: 'b',
    suspects: [],
    cameras: {},
    segments: [],
    ...x,
  });
  const live = new Map([
    ['s2', { at: now - 100, bootId: 'b', status: status({ cameras: { c2: { state: 'failing' } } }) }],
    [
      'f1',
      {
        at: now - 200,
        bootId: 'b',
        status: status({
          suspects: ['s2'],
          storage: {
            availability: 'failover',
            allFailed: false,
            paths: [{ path: '/v', healthy: true, read: true, space: { freeBytes: 40, totalBytes: 100 } }],
          },
        }),
      },
    ],
    ['late', { at: now - 1600, bootId: 'b', status: status({ suspects: ['s2'] }) }],
  ]);
  const source: ViewSource = {
    state: () => farm,
    liveOf: (id) => live.get(id),
    refusedSegmentsOf: () => 0,
    staleStatusesOf: () => 0,
    handoversUnderWay: () => [],
  };
  const clocks = new ServerClocks({ log: pino({ level: 'silent' }), boundMs: () => 500 });
  const views = serverViews(source, clocks, now);
  assert.deepEqual(
    views.map((v) => [v.id, v.state, v.health, v.role, v.kind, v.failoverTier, v.recordsFor, v.reportedBy]),
    [
      ['s1', 'down', 'down', 'redundant', 'active', null, [], []],
      ['s2', 'suspect', 'suspect', 'active', 'active', null, [], ['f1', 'late']],
      ['f1', 'up', 'up', 'active', 'failover', 'primary', ['s1'], []],
      ['d1', 'up', 'maintenance', 'redundant', 'redundant', null, [], []],
      ['late', 'up', 'suspect', 'redundant', 'redundant', null, [], []],
    ],
  );
  const f1 = views.find((v) => v.id === 'f1')!;
  assert.deepEqual(f1.disk, { paths: 1, failedPaths: 0, freeBytes: 40, totalBytes: 100 });
  assert.deepEqual(views.find((v) => v.id === 's2')!.failingCameras, ['c2']);
  assert.equal(views.find((v) => v.id === 's1')!.disk, null);
});
