import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from './store.ts';
import { testDbLocation } from './test-db.ts';
import { parseFarmConfig } from '../config/farm-config.ts';
import pg from 'pg';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';
const config = () =>
  parseFarmConfig({
    settings: { FarmHealthMissedUdpMs: 1500 },
    groups: [{ id: 1 }, { id: 7, redundancy: false }],
    servers: [
      { id: 's1', group: 1, host: '127.0.0.1', udpPort: 7001 },
      { id: 's2', group: 1, host: '127.0.0.1', udpPort: 7002 },
      { id: 's7', group: 7, host: '127.0.0.1' },
    ],
    cameras: [
      { id: 'c1', url: 'rtsp://127.0.0.1/c1', server: 's1' },
      { id: 'c2', url: 'rtsp://127.0.0.1/c2', server: 's1', movable: false },
    ],
  }).config;

async function withStore(fn: (s: Store) => Promise<void>) {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  try {
    await fn(store);
  } finally {
    await store.close();
    await drop();
  }
}

test(`${backend}: config round trip, moves and generations`, () =>
  withStore(async (store) => {
    await store.applyConfig(config());
    const s = await store.snapshot();
    assert.equal(s.settings.FarmHealthMissedUdpMs, 1500);
    const failover = {
      policy: 'spare',
      onReturn: 'spare',
      triggers: ['buddy-quorum', 'status-lost', 'storage-failed', 'recording-failed', 'manual'],
      failoverServers: [],
      secondaryFailoverServers: [],
    };
    assert.deepEqual(s.groups, [
      { id: 1, redundancy: true, ...failover },
      { id: 7, redundancy: false, ...failover },
    ]);
    assert.deepEqual(
      s.servers.map((x) => [x.id, x.group, x.udpPort, x.state]),
      [
        ['s1', 1, 7001, 'up'],
        ['s2', 1, 7002, 'up'],
        ['s7', 7, null, 'up'],
      ],
    );
    assert.deepEqual(s.cameras[1], {
      id: 'c2',
      url: 'rtsp://127.0.0.1/c2',
      home: 's1',
      current: 's1',
      movable: false,
      audio: true,
      runtime: {},
    });
    const gen = await store.moveCameras([{ camera: 'c1', to: 's2' }]);
    assert.equal(gen, s.generation + 1);
    await store.setServerState('s1', 'down', 123);
    await store.setServerRuntime('s2', { maintenance: true, swappedWith: 's1' });
    await store.setCameraRuntime([{ camera: 'c1', runtime: { relay: 's2' } }]);
    // Applying the same config again keeps the failover placement, the server state and what the master decided.
    await store.applyConfig(config());
    const after = await store.snapshot();
    assert.equal(after.cameras[0].current, 's2');
    assert.deepEqual(after.cameras[0].runtime, { relay: 's2' });
    assert.equal(after.servers[0].state, 'down');
    assert.equal(after.servers[0].downSince, 123);
    assert.deepEqual(after.servers[1].runtime, { maintenance: true, swappedWith: 's1' });
  }));

test(`${backend}: failover log keeps its detail`, () =>
  withStore(async (store) => {
    const id = await store.insertFailover({
      startedAt: 1_790_000_000_000,
      server: 's1',
      group: 1,
      trigger: 'buddy-quorum',
      status: 'running',
      detail: { reporters: ['s2'] },
    });
    await store.updateFailover(id, 'done', { reporters: ['s2'], moves: [{ camera: 'c1', from: 's1', to: 's3' }] });
    const [f] = await store.failovers();
    assert.deepEqual(f, {
      id,
      startedAt: 1_790_000_000_000,
      server: 's1',
      group: 1,
      trigger: 'buddy-quorum',
      status: 'done',
      detail: { reporters: ['s2'], moves: [{ camera: 'c1', from: 's1', to: 's3' }] },
    });
  }));

test(`${backend}: contiguous segments merge into one interval, a hole starts another`, () =>
  withStore(async (store) => {
    const T = 1_790_000_000_000;
    await store.addRecordings('s1', [
      { camera: 'c1', startMs: T, endMs: T + 1000 },
      { camera: 'c1', startMs: T + 1000, endMs: T + 2000 },
    ]);
    await store.addRecordings('s1', [{ camera: 'c1', startMs: T + 2000, endMs: T + 3000 }]);
    await store.addRecordings('s1', [{ camera: 'c1', startMs: T + 5000, endMs: T + 6000 }]);
    await store.addRecordings('s2', [{ camera: 'c1', startMs: T + 2500, endMs: T + 4000 }]);
    const r = await store.recordings('c1', T - 10_000, T + 10_000);
    assert.deepEqual(
      r.map((x) => [x.server, x.startMs - T, x.endMs - T]),
      [
        ['s1', 0, 3000],
        ['s2', 2500, 4000],
        ['s1', 5000, 6000],
      ],
    );
    assert.deepEqual(await store.recordings('c1', T + 7000, T + 8000), []);
  }));

// A PostgreSQL restart or an administrator ending the master's idle connections must not take the
// master down: the pool drops them, reports them, and the next query reconnects.
test('postgres: a connection the server ends is reported and replaced', {
  skip: backend !== 'postgres' && 'needs VIGIL_DB=postgres://…',
}, async () => {
  const { location, drop } = await testDbLocation();
  const lost: string[] = [];
  const store = await Store.open(location, (err) => lost.push(err.message));
  try {
    await store.applyConfig(config());
    const admin = new pg.Client({ connectionString: process.env.VIGIL_DB });
    await admin.connect();
    const dbName = new URL(location).pathname.slice(1);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [dbName],
    );
    await admin.end();
    for (let i = 0; i < 50 && lost.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(lost.length > 0, 'the ended connection is reported');
    const s = await store.snapshot();
    assert.equal(s.servers.length, 3);
  } finally {
    await store.close();
    await drop();
  }
});

test(`${backend}: storage settings, streams and audio round trip; recordings are kept per stream`, () =>
  withStore(async (store) => {
    const input = {
      groups: [{ id: 1 }],
      servers: [{ id: 's1', group: 1, host: '127.0.0.1', storage: { paths: '/d1;*/d2', availability: 'redundant' } }],
      cameras: [
        {
          id: 'c1',
          url: 'rtsp://h/c1',
          server: 's1',
          audio: false,
          streams: [{ url: 'rtsp://h/c1/sub' }],
          storage: { maxStorageDays: '3;20' },
        },
      ],
    };
    await store.applyConfig(parseFarmConfig(input).config);
    const s = await store.snapshot();
    assert.equal(s.servers[0].storage?.paths, '/d1;*/d2');
    assert.equal(s.servers[0].storage?.availability, 'redundant');
    assert.deepEqual(
      [s.cameras[0].audio, s.cameras[0].streams, s.cameras[0].storage],
      [false, [{ url: 'rtsp://h/c1/sub', audio: true }], { maxStorageDays: '3;20' }],
    );
    await store.addRecordings('s1', [
      { camera: 'c1', startMs: 1000, endMs: 2000 },
      { camera: 'c1', stream: 1, startMs: 1000, endMs: 2000 },
      { camera: 'c1', stream: 1, startMs: 2000, endMs: 3000 },
    ]);
    assert.deepEqual(
      (await store.recordings('c1', 0, 10_000)).map((r) => [r.startMs, r.endMs]),
      [[1000, 2000]],
    );
    assert.deepEqual(
      (await store.recordings('c1', 0, 10_000, 1)).map((r) => [r.startMs, r.endMs]),
      [[1000, 3000]],
    );
  }));
