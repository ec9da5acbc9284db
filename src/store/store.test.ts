import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from './store.ts';
import { testDbLocation, withTestStore } from './test-db.ts';
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

test(`${backend}: config round trip, moves and generations`, () =>
  withTestStore(async (store) => {
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
  withTestStore(async (store) => {
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
  withTestStore(async (store) => {
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
  const store = await Store.open(location, { onConnectionError: (err) => lost.push(err.message) });
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
  withTestStore(async (store) => {
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

/** A farm of `servers` servers (groups of 10) with `perServer` cameras each, as the config gives it. */
function largeFarm(servers: number, perServer: number) {
  return parseFarmConfig({
    groups: Array.from({ length: Math.ceil(servers / 10) }, (_, g) => ({ id: g + 1 })),
    servers: Array.from({ length: servers }, (_, s) => ({
      id: `s${s}`,
      group: 1 + Math.floor(s / 10),
      host: '127.0.0.1',
      udpPort: 10_000 + s,
    })),
    cameras: Array.from({ length: servers * perServer }, (_, i) => ({
      id: `c${i}`,
      url: `rtsp://10.1.${Math.floor(i / 250)}.${i % 250}/stream1`,
      server: `s${Math.floor(i / perServer)}`,
      ...(i % 7 === 0 && { streams: [{ url: `rtsp://10.1.${Math.floor(i / 250)}.${i % 250}/stream2` }] }),
    })),
  }).config;
}

// One statement for all rows passed SQLite's and PostgreSQL's bound-parameter limits ("too many
// SQL variables" at 10,000 cameras): rows go in chunks, still in one transaction.
test(`${backend}: a farm of 20,000 cameras applies, reads back whole, and re-applies keeping placement`, () =>
  withTestStore(async (store) => {
    const farm = largeFarm(200, 100);
    await store.applyConfig(farm);
    const s = await store.snapshot();
    assert.equal(s.servers.length, 200);
    assert.equal(s.cameras.length, 20_000);
    const byId = new Map(s.cameras.map((c) => [c.id, c]));
    assert.deepEqual(byId.get('c19998'), {
      id: 'c19998',
      url: 'rtsp://10.1.79.248/stream1',
      home: 's199',
      current: 's199',
      movable: true,
      audio: true,
      runtime: {},
    });
    assert.deepEqual(byId.get('c7')?.streams, [{ url: 'rtsp://10.1.0.7/stream2', audio: true }]);
    // A failover moved a whole server's cameras and relayed some live; re-applying keeps all of it.
    const moved = s.cameras.filter((c) => c.home === 's150').map((c) => ({ camera: c.id, to: 's151' }));
    await store.moveCameras(moved);
    await store.setCameraRuntime(moved.slice(0, 10).map((m) => ({ camera: m.camera, runtime: { relay: 's152' } })));
    await store.applyConfig(farm);
    const after = await store.snapshot();
    const held = after.cameras.filter((c) => c.current === 's151');
    assert.equal(held.length, 200);
    assert.equal(held.filter((c) => c.runtime.relay === 's152').length, 10);
    assert.equal(after.generation, s.generation + 3);
  }));

test(`${backend}: an apply that fails in a late chunk leaves the previous configuration whole`, () =>
  withTestStore(async (store) => {
    await store.applyConfig(config());
    const before = await store.snapshot();
    const farm = largeFarm(100, 100);
    // A duplicate id in the last rows fails the last chunk's insert, after the others went in.
    const bad = { ...farm, cameras: [...farm.cameras, { ...farm.cameras[0] }] };
    await assert.rejects(store.applyConfig(bad));
    assert.deepEqual(await store.snapshot(), before);
  }));

test(`${backend}: one status of many cameras merges in one go as segment by segment`, () =>
  withTestStore(async (store) => {
    const T = 1_790_000_000_000;
    const cameras = Array.from({ length: 3000 }, (_, i) => `c${i}`);
    // First status: two contiguous segments each (one interval); a sub stream for every tenth camera.
    await store.addRecordings(
      's1',
      cameras.flatMap((camera, i) => [
        { camera, startMs: T + 1000, endMs: T + 2000 },
        { camera, startMs: T, endMs: T + 1000 },
        ...(i % 10 ? [] : [{ camera, stream: 1, startMs: T, endMs: T + 2000 }]),
      ]),
    );
    // Next: even cameras continue, odd ones after a hole; another server overlaps c0.
    await store.addRecordings(
      's1',
      cameras.map((camera, i) => ({ camera, startMs: T + (i % 2 ? 4000 : 2000), endMs: T + 5000 })),
    );
    await store.addRecordings('s2', [{ camera: 'c0', startMs: T + 1500, endMs: T + 2500 }]);
    const spans = async (camera: string, stream = 0) =>
      (await store.recordings(camera, T - 10_000, T + 10_000, stream)).map((r) => [
        r.server,
        r.startMs - T,
        r.endMs - T,
      ]);
    assert.deepEqual(await spans('c0'), [
      ['s1', 0, 5000],
      ['s2', 1500, 2500],
    ]);
    assert.deepEqual(await spans('c2999'), [
      ['s1', 0, 2000],
      ['s1', 4000, 5000],
    ]);
    assert.deepEqual(await spans('c10', 1), [['s1', 0, 2000]]);
    assert.deepEqual(await spans('c11', 1), []);
  }));
