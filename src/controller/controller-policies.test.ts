import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_ALIVE_KEYS, controllerHarness } from '../../test/support/controller-harness.ts';
import { Controller } from './controller.ts';
import { createLogger } from '../lib/log.ts';
import { RELAY_BUFFER_MS } from './assignment.ts';
import { parseFarmConfig, type FarmConfigInput } from '../config/farm-config.ts';
import type { VigilError } from '../lib/errors.ts';

const settings = { FarmHealthStartDelayMs: 0, FarmHealthMissedUdpMs: 1000, StatusIntervalMs: 100 };
const server = (id: string, port: number, extra: object = {}) => ({
  id,
  group: 1,
  host: '127.0.0.1',
  udpPort: port,
  ...extra,
});
const cam = (id: string, srv: string, extra: object = {}) => ({ id, url: `rtsp://h/${id}`, server: srv, ...extra });
type Harness = Awaited<ReturnType<typeof controllerHarness>>;

/** Everyone but `silent` reports; `silent` is reported by all its buddies. */
async function quiet(h: Harness, ids: string[], silent: string[], ms: number) {
  h.clock.t = 1_000_000 + ms;
  for (const id of ids) if (!silent.includes(id)) await h.status(id, silent);
  await h.at(ms);
}
const current = (h: Harness, camera: string) => h.c.state().cameras.find((x) => x.id === camera)!.current;
const assigned = (h: Harness, srv: string) =>
  h.c
    .assignment(srv)!
    .cameras.map((x) => x.id + (x.buffer ? '(buffer)' : ''))
    .sort();

test('queue: a server failing while another failover of its group runs waits for it, then is carried out', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, policy: 'spare' }],
    servers: [server('a', 1), server('b', 2), server('x', 3), server('y', 4)],
    cameras: [cam('ca', 'a'), cam('cb', 'b')],
  });
  const all = ['a', 'b', 'x', 'y'];
  await quiet(h, all, [], 0);
  await quiet(h, all, ['a'], 1000);
  await quiet(h, all, ['a'], 1600);
  await quiet(h, all, ['a', 'b'], 1700);
  await quiet(h, all, ['a', 'b'], 2800);
  let fos = await h.store.failovers();
  assert.deepEqual(
    fos.map((f) => [f.server, f.status]),
    [
      ['a', 'running'],
      ['b', 'queued'],
    ],
  );
  assert.equal(current(h, 'cb'), 'b', 'queued: nothing moved yet');
  // a's target records: a's failover is done and b's is carried out on the next tick.
  h.clock.t = 1_002_900;
  await h.status('x', [], [{ camera: 'ca', startMs: 1_002_000, endMs: 1_002_900 }]);
  await h.at(2900);
  fos = await h.store.failovers();
  assert.deepEqual(
    fos.map((f) => [f.server, f.status]),
    [
      ['a', 'done'],
      ['b', 'running'],
    ],
  );
  assert.equal(current(h, 'cb'), 'y');
  const steps = (fos[1].detail.steps as { step: string }[]).map((s) => s.step);
  assert.deepEqual(steps.slice(0, 4), ['detect', 'queued', 'dequeued', 'plan']);
});

test("a group's triggers: a silent server is not failed over without them; manual only when listed", async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, triggers: ['storage-failed'] }],
    servers: [server('a', 1), server('b', 2), server('n', 3)],
    cameras: [cam('ca', 'a')],
  });
  for (const ms of [0, 1000, 2000, 3000, 5000]) await quiet(h, ['a', 'b', 'n'], ['a'], ms);
  assert.deepEqual(await h.store.failovers(), []);
  await assert.rejects(h.c.manualFailover('a'), (e: VigilError) => e.code === 'TRIGGER_OFF' && e.httpStatus === 409);
});

test('drain is make-before-break: both record until the new server delivers; the drained server is not judged; resume brings the cameras home', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a'), cam('cb', 'a', { failoverMode: 'none' })],
  });
  await quiet(h, ['a', 'n'], [], 0);
  const fo = await h.c.drain('a');
  assert.deepEqual([fo.trigger, fo.status, fo.detail.target, fo.detail.unrecorded], ['drain', 'running', 'n', ['cb']]);
  assert.deepEqual(assigned(h, 'n'), ['ca']);
  assert.deepEqual(assigned(h, 'a'), ['ca', 'cb'], 'the old server records on until the new one delivers');
  h.clock.t = 1_000_600;
  await h.status('n', [], [{ camera: 'ca', startMs: 1_000_100, endMs: 1_000_600 }]);
  assert.equal(current(h, 'ca'), 'n');
  assert.deepEqual(assigned(h, 'a'), ['cb']);
  assert.equal((await h.store.failovers())[0].status, 'done');
  // A reboot for updates: silence, yet no failover.
  for (const ms of [1000, 3000, 6000]) await quiet(h, ['a', 'n'], ['a'], ms);
  assert.equal((await h.store.failovers()).length, 1);
  await assert.rejects(h.c.drain('a'), (e: VigilError) => e.code === 'ALREADY_DRAINED');
  const back = await h.c.resume('a');
  assert.deepEqual([back?.trigger, back?.detail.target], ['resume', 'a']);
  assert.deepEqual(assigned(h, 'a'), ['ca', 'cb']);
  assert.deepEqual(assigned(h, 'n'), ['ca']);
});

test('a handover under way when the master restarts goes on: the new server is still told to record, and its next segment completes it', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a'), cam('cb', 'a')],
  });
  await quiet(h, ['a', 'n'], [], 0);
  await h.c.drain('a');
  h.clock.t = 1_000_300;
  await h.status('n', [], [{ camera: 'ca', startMs: 1_000_000, endMs: 1_000_300 }]);
  assert.deepEqual([current(h, 'ca'), current(h, 'cb')], ['n', 'a'], 'ca is over, cb still under way');
  await h.c.close();
  const again = new Controller({
    store: h.store,
    log: createLogger('test', 'silent'),
    clock: h.clock,
    tickMs: 0,
    aliveKeyOf: TEST_ALIVE_KEYS,
  });
  t.after(() => again.close());
  h.clock.t = 1_001_000;
  await again.start();
  assert.deepEqual(
    again
      .assignment('n')!
      .cameras.map((x) => x.id)
      .sort(),
    ['ca', 'cb'],
    'n records cb on',
  );
  assert.deepEqual(
    again.assignment('a')!.cameras.map((x) => x.id),
    ['cb'],
    'and a too, until n delivers',
  );
  assert.deepEqual(
    again.handoversUnderWay().map((x) => [x.camera, x.from, x.to, x.reason]),
    [['cb', 'a', 'n', 'drain']],
  );
  h.clock.t = 1_001_500;
  await again.onStatus('n', {
    bootId: 'boot-n',
    suspects: [],
    cameras: {},
    segments: [{ camera: 'cb', startMs: 1_001_000, endMs: 1_001_500 }],
  });
  assert.equal(again.state().cameras.find((c) => c.id === 'cb')!.current, 'n');
  const [fo] = await h.store.failovers();
  assert.equal(fo.status, 'done');
  assert.ok((fo.detail.steps as { step: string }[]).some((x) => x.step === 'resumed'));
});

test('a handover the store completed just before the master stopped is logged done at restart, its copy-back planned', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, onReturn: 'failback' }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a')],
  });
  await quiet(h, ['a', 'n'], [], 0);
  await h.c.manualFailover('a');
  h.clock.t = 1_000_400;
  await h.status('n', [], [{ camera: 'ca', startMs: 1_000_000, endMs: 1_000_400 }]);
  await h.back('a');
  await h.c.failback('a');
  await h.c.close();
  // The camera's move home reached the store; the master stopped before logging it.
  await h.store.moveCameras([{ camera: 'ca', to: 'a' }]);
  const again = new Controller({
    store: h.store,
    log: createLogger('test', 'silent'),
    clock: h.clock,
    tickMs: 0,
    aliveKeyOf: TEST_ALIVE_KEYS,
  });
  t.after(() => again.close());
  await again.start();
  const fb = (await h.store.failovers()).at(-1)!;
  assert.deepEqual([fb.trigger, fb.status], ['failback', 'done']);
  assert.deepEqual(again.handoversUnderWay(), []);
  assert.ok(
    again.copyBacks().some((j) => j.home === 'a' && j.source === 'n'),
    'the footage n recorded is to come home',
  );
});

test('a handover whose new server delivers nothing is abandoned; the camera stays', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a')],
  });
  await quiet(h, ['a', 'n'], [], 0);
  const fo = await h.c.moveCamera('ca', 'n');
  assert.equal(fo.trigger, 'move');
  await assert.rejects(
    h.c.moveCamera('ca', 'n'),
    (e: VigilError) => e.code === 'MOVE_REFUSED' && /handed over already/.test(e.message),
  );
  for (const ms of [10_000, 20_000, 31_000]) await quiet(h, ['a', 'n'], [], ms);
  assert.equal(current(h, 'ca'), 'a');
  assert.deepEqual(assigned(h, 'n'), []);
  assert.equal((await h.store.failovers())[0].status, 'failed');
});

test("edits of a moved camera's device or storage settings are refused, nothing applied; other edits go through", async (t) => {
  const farm = (url: string, extra: object = {}): FarmConfigInput => ({
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a', { url }), cam('cb', 'n', extra)],
  });
  const h = await controllerHarness(t, farm('rtsp://h/ca'));
  await h.c.applyConfig(
    parseFarmConfig({ ...farm('rtsp://h/ca'), servers: [server('a', 1), server('n', 3), server('s', 4)] }).config,
  );
  await quiet(h, ['a', 'n', 's'], [], 0);
  await h.c.manualFailover('a');
  assert.equal(current(h, 'ca'), 's');
  const next = parseFarmConfig({
    ...farm('rtsp://h/ca-new'),
    servers: [server('a', 1), server('n', 3), server('s', 4)],
  }).config;
  await assert.rejects(
    h.c.applyConfig(next),
    (e: VigilError) =>
      e.code === 'CAMERA_MOVED' &&
      e.httpStatus === 409 &&
      /camera ca runs on s while its server a is failed over: url/.test(e.message),
  );
  assert.equal(h.c.state().cameras.find((x) => x.id === 'ca')!.url, 'rtsp://h/ca');
  await h.c.applyConfig(
    parseFarmConfig({
      ...farm('rtsp://h/ca', { audio: false }),
      servers: [server('a', 1), server('n', 3), server('s', 4)],
    }).config,
  );
  assert.equal(h.c.state().cameras.find((x) => x.id === 'cb')!.audio, false, 'a camera at home is edited');
});

test('standby + swap: the failover server takes over; the returning server becomes the failover server', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, policy: 'standby', onReturn: 'swap', failoverServers: ['f1'] }],
    servers: [server('r1', 1), server('r2', 2), server('f1', 3), server('spare', 4)],
    cameras: [cam('a', 'r1'), cam('b', 'r2')],
  });
  const all = ['r1', 'r2', 'f1', 'spare'];
  await quiet(h, all, [], 0);
  await quiet(h, all, ['r1'], 1000);
  await quiet(h, all, ['r1'], 2100);
  assert.equal(current(h, 'a'), 'f1', 'the failover server, not the spare');
  h.clock.t = 1_002_200;
  await h.status('f1', [], [{ camera: 'a', startMs: 1_002_150, endMs: 1_002_200 }]);
  await h.back('r1');
  const r = h.c.state().servers;
  assert.equal(r.find((s) => s.id === 'r1')!.runtime.swappedWith, 'f1');
  assert.equal(r.find((s) => s.id === 'f1')!.runtime.swappedWith, 'r1');
  assert.equal(current(h, 'a'), 'f1', 'swap: the cameras stay with the server that took over');
  // r2 fails: r1, now the failover server, takes its cameras (not the spare).
  await quiet(h, all, ['r2'], 3000);
  await quiet(h, all, ['r2'], 4100);
  assert.equal(current(h, 'b'), 'r1');
});

test('failback after failbackAfterMs of health: the cameras come home make-before-break', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, onReturn: 'failback', failbackAfterMs: 2000 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a')],
  });
  await quiet(h, ['a', 'n'], [], 0);
  await h.c.manualFailover('a');
  assert.equal(current(h, 'ca'), 'n');
  h.clock.t = 1_000_500;
  await h.back('a');
  await quiet(h, ['a', 'n'], [], 1500);
  assert.equal((await h.store.failovers()).length, 1, 'not healthy long enough yet');
  await quiet(h, ['a', 'n'], [], 2600);
  const fb = (await h.store.failovers())[1];
  assert.deepEqual([fb.trigger, fb.status, fb.detail.target], ['failback', 'running', 'a']);
  assert.deepEqual(assigned(h, 'a'), ['ca']);
  assert.deepEqual(assigned(h, 'n'), ['ca']);
  h.clock.t = 1_003_000;
  await h.status('a', [], [{ camera: 'ca', startMs: 1_002_700, endMs: 1_003_000 }]);
  assert.equal(current(h, 'ca'), 'a');
  assert.deepEqual(assigned(h, 'n'), []);
});

test('live-only: the relay pulls the camera into a pre-buffer for live view, records nothing, and lets go when its server is back', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a', { failoverMode: 'live-only' }), cam('cb', 'a')],
  });
  await quiet(h, ['a', 'n'], [], 0);
  await h.c.manualFailover('a');
  const ca = h.c.state().cameras.find((c) => c.id === 'ca')!;
  assert.deepEqual([ca.current, ca.runtime.relay], ['a', 'n'], 'not moved: only relayed');
  assert.deepEqual(assigned(h, 'n'), ['ca(buffer)', 'cb']);
  assert.equal(h.c.assignment('n')!.cameras.find((x) => x.id === 'ca')!.buffer!.ms, RELAY_BUFFER_MS);
  h.clock.t = 1_000_500;
  await h.back('a');
  await h.at(500);
  assert.equal(h.c.state().cameras.find((c) => c.id === 'ca')!.runtime.relay, undefined);
  assert.deepEqual(assigned(h, 'n'), ['cb']);
  assert.deepEqual(assigned(h, 'a'), ['ca']);
});

test('a relayed camera that comes to be recorded elsewhere is not relayed any more', async (t) => {
  const farm = (mode: 'live-only' | 'full') => ({
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a', { failoverMode: mode })],
  });
  const h = await controllerHarness(t, farm('live-only'));
  await quiet(h, ['a', 'n'], [], 0);
  await h.c.manualFailover('a');
  assert.deepEqual(assigned(h, 'n'), ['ca(buffer)']);
  // The operator wants it recorded after all: the config change fails it over for real.
  await h.c.applyConfig(parseFarmConfig(farm('full')).config);
  const ca = h.c.state().cameras.find((c) => c.id === 'ca')!;
  assert.deepEqual([ca.current, ca.runtime.relay], ['n', undefined]);
  assert.deepEqual((await h.store.snapshot()).cameras.find((c) => c.id === 'ca')!.runtime, {});
  assert.deepEqual(assigned(h, 'n'), ['ca'], 'recorded, no second session for a buffer');
});

test("hot: the hot standby pre-buffers its server's cameras and keeps the buffer from the last reported end at takeover", async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, policy: 'hot' }],
    servers: [server('r1', 1), server('h1', 2, { hotStandbyFor: 'r1' }), server('spare', 3)],
    cameras: [cam('a', 'r1'), cam('door', 'r1', { failoverMode: 'none' })],
  });
  const all = ['r1', 'h1', 'spare'];
  await quiet(h, all, [], 0);
  assert.deepEqual(assigned(h, 'h1'), ['a(buffer)']);
  assert.equal(h.c.assignment('h1')!.cameras[0].buffer!.ms, 6000, 'FarmHealthMissedUdpMs + 5 s');
  h.clock.t = 1_000_400;
  await h.status('r1', [], [{ camera: 'a', startMs: 1_000_000, endMs: 1_000_400 }]);
  await quiet(h, all, ['r1'], 1400);
  await quiet(h, all, ['r1'], 2500);
  assert.equal(current(h, 'a'), 'h1');
  assert.deepEqual(
    h.c.assignment('h1')!.cameras.map((x) => [x.id, x.buffer, x.recordFromMs]),
    [['a', undefined, 1_000_400]],
  );
});

test('distribute: cameras spread by spare capacity and priority; the rest wait and resume when a server is enabled', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, policy: 'distribute' }],
    servers: [
      server('dead', 1),
      server('p', 2, { maxCameras: 2 }),
      server('q', 3, { maxCameras: 1 }),
      server('r', 4, { enabled: false }),
    ],
    cameras: [
      cam('c1', 'dead', { priority: 'low' }),
      cam('c2', 'dead', { priority: 'high' }),
      cam('c3', 'dead'),
      cam('p1', 'p'),
    ],
  });
  const all = ['dead', 'p', 'q', 'r'];
  await quiet(h, all, [], 0);
  await quiet(h, all, ['dead'], 1000);
  await quiet(h, all, ['dead'], 2100);
  let [fo] = await h.store.failovers();
  assert.equal(fo.status, 'waiting');
  // Free places: p 1, q 1. High priority first, to the emptier server; the low one waits.
  assert.deepEqual([current(h, 'c2'), current(h, 'c3'), current(h, 'c1')], ['q', 'p', 'dead']);
  await h.c.applyConfig(
    parseFarmConfig({
      settings,
      groups: [{ id: 1, policy: 'distribute' }],
      servers: [
        server('dead', 1),
        server('p', 2, { maxCameras: 2 }),
        server('q', 3, { maxCameras: 1 }),
        server('r', 4),
      ],
      cameras: [
        cam('c1', 'dead', { priority: 'low' }),
        cam('c2', 'dead', { priority: 'high' }),
        cam('c3', 'dead'),
        cam('p1', 'p'),
      ],
    }).config,
  );
  await quiet(h, all, ['dead'], 2200);
  [fo] = await h.store.failovers();
  assert.equal(current(h, 'c1'), 'r');
  assert.equal(fo.status, 'running');
  assert.deepEqual(fo.detail.targets, ['p', 'q', 'r']);
});

test('copy-back: after a failback the home server is given a job per stream and source; when done the source intervals are forgotten', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, onReturn: 'failback' }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a')],
  });
  const answered = new Map<string, number>();
  const status = async (id: string, extra: object = {}) => {
    const { masterTimeMs } = await h.c.onStatus(id, {
      bootId: `boot-${id}`,
      answeredAtMs: answered.get(id),
      apiPort: id === 'a' ? 11 : 12,
      suspects: [],
      cameras: {},
      segments: [],
      ...extra,
    });
    answered.set(id, masterTimeMs);
  };
  await status('a');
  await status('n');
  await h.c.manualFailover('a');
  h.clock.t = 1_001_000;
  await status('n', { segments: [{ camera: 'ca', startMs: 1_000_100, endMs: 1_001_000 }] });
  await status('a');
  await status('a');
  await h.c.failback('a');
  h.clock.t = 1_001_500;
  await status('a', { segments: [{ camera: 'ca', startMs: 1_001_100, endMs: 1_001_500 }] });
  assert.equal(current(h, 'ca'), 'a');
  const [job] = h.c.copyBacks();
  assert.deepEqual(
    [job.id, job.source, job.home, job.fromMs, job.state],
    ['fb2-ca~0-n', 'n', 'a', 1_000_100, 'pending'],
  );
  assert.equal(h.c.assignment('a')!.copyBack, undefined, 'not before the old server had time to stop');
  const source = { job: job.id, home: 'a', camera: 'ca', stream: 0, fromMs: 1_000_100, toMs: job.toMs };
  assert.deepEqual(h.c.assignment('n')!.copySources, [source], 'the source knows the job before its home is given it');
  assert.equal(h.c.assignment('a')!.copySources, undefined);
  await h.at(1500 + 5000);
  assert.deepEqual(h.c.assignment('a')!.copyBack, [
    {
      id: job.id,
      camera: 'ca',
      stream: 0,
      source: { server: 'n', url: 'https://127.0.0.1:12' },
      fromMs: 1_000_100,
      toMs: job.toMs,
    },
  ]);
  const report = (state: 'running' | 'done', done: number) =>
    status('a', {
      copyBack: [
        {
          id: job.id,
          camera: 'ca',
          stream: 0,
          source: { server: 'n', url: 'x' },
          fromMs: 0,
          toMs: 0,
          state,
          segments: 2,
          segmentsDone: done,
          bytes: 2000,
          bytesDone: done * 1000,
          percent: done * 50,
          rateBytesPerSec: 1000,
          etaMs: done === 2 ? 0 : 1000,
        },
      ],
    });
  await report('running', 1);
  assert.equal(h.c.copyBacks()[0].progress!.percent, 50);
  assert.equal((await h.store.recordings('ca', 0, 2_000_000)).filter((r) => r.server === 'n').length, 1);
  await report('done', 2);
  assert.deepEqual(h.c.copyBacks(), []);
  assert.equal(h.c.assignment('n')!.copySources, undefined, 'a finished job releases nothing more');
  assert.deepEqual(
    (await h.store.recordings('ca', 0, 2_000_000)).map((r) => r.server),
    ['a'],
    "the source's intervals are forgotten: the footage is home",
  );
  const fb = (await h.store.failovers())[1];
  assert.deepEqual(
    (fb.detail.copyBack as { state: string; progress: { percent: number } }[]).map((j) => [
      j.state,
      j.progress.percent,
    ]),
    [['done', 100]],
  );
});

test('a store failing part-way through a failover: the entry ends failed, store and memory agree, the next tick carries it out', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1 }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a')],
  });
  const all = ['a', 'n'];
  await quiet(h, all, [], 0);
  const commit = h.store.commitMoves.bind(h.store);
  let broken = true;
  h.store.commitMoves = async (c) => {
    if (broken) throw new Error('disk I/O error');
    return commit(c);
  };
  await quiet(h, all, ['a'], 1000);
  await quiet(h, all, ['a'], 1600);
  const failed = await h.store.failovers();
  assert.ok(
    failed.length >= 1 && failed.every((f) => f.status === 'failed'),
    JSON.stringify(failed.map((f) => f.status)),
  );
  const stored = (await h.store.snapshot()).servers.find((s) => s.id === 'a')!;
  const inMemory = h.c.state().servers.find((s) => s.id === 'a')!;
  assert.deepEqual([stored.state, stored.downSince], [inMemory.state, inMemory.downSince]);
  assert.notEqual(stored.state, 'down', 'the verdict is taken back, to be judged again');
  assert.equal(current(h, 'ca'), 'a');
  broken = false;
  await quiet(h, all, ['a'], 1700);
  const fos = await h.store.failovers();
  assert.deepEqual(fos.at(-1)!.status, 'running');
  assert.ok(fos.length >= 2 && fos.slice(0, -1).every((f) => f.status === 'failed'));
  assert.match(String(fos[0].detail.reason), /disk I\/O error/);
  assert.equal(current(h, 'ca'), 'n');
});

test('a store failing in the commit of a failover: neither the moves nor the relays stand (one transaction, with the entry); the next tick carries both out', async (t) => {
  const h = await controllerHarness(t, {
    settings,
    groups: [{ id: 1, policy: 'distribute' }],
    servers: [server('a', 1), server('n', 3)],
    cameras: [cam('ca', 'a'), cam('cl', 'a', { failoverMode: 'live-only' })],
  });
  const all = ['a', 'n'];
  await quiet(h, all, [], 0);
  const commit = h.store.commitMoves.bind(h.store);
  let broken = true;
  h.store.commitMoves = async (c) => {
    // The statements run and fail at the end, as a commit the disk refuses: nothing of it is kept.
    if (broken) {
      await h.store.db.transaction().execute(async () => {
        throw new Error('disk I/O error');
      });
    }
    return commit(c);
  };
  await h.c.manualFailover('a').catch(() => {});
  const stored = await h.store.snapshot();
  assert.equal(stored.cameras.find((c) => c.id === 'ca')!.current, 'a', 'the recorded move did not stand');
  assert.equal(stored.cameras.find((c) => c.id === 'cl')!.runtime.relay, undefined, 'nor the relay');
  let [fo] = await h.store.failovers();
  assert.equal(fo.status, 'failed');
  assert.equal(current(h, 'ca'), 'a', 'memory agrees with the store');
  broken = false;
  await h.c.manualFailover('a');
  [fo] = (await h.store.failovers()).slice(-1);
  assert.equal(current(h, 'ca'), 'n');
  assert.equal(h.c.state().cameras.find((c) => c.id === 'cl')!.runtime.relay, 'n');
  assert.deepEqual((fo.detail.moves as { camera: string; mode: string }[]).map((m) => [m.camera, m.mode]).sort(), [
    ['ca', 'record'],
    ['cl', 'live'],
  ]);
  // Its return ends the relay as after any failover.
  h.clock.t = 1_000_500;
  await h.back('a');
  await h.at(500);
  assert.equal(h.c.state().cameras.find((c) => c.id === 'cl')!.runtime.relay, undefined);
});
