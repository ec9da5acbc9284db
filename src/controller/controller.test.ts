import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_ALIVE_KEYS, controllerHarness } from '../../test/support/controller-harness.ts';
import { parseFarmConfig, type FarmConfigInput } from '../config/farm-config.ts';

const farm = (extra: FarmConfigInput['servers'] = []): FarmConfigInput => ({
  settings: { FarmHealthStartDelayMs: 0, FarmHealthMissedUdpMs: 1000, StatusIntervalMs: 100 },
  groups: [{ id: 1 }],
  servers: [
    { id: 'a', group: 1, host: '127.0.0.1', udpPort: 1 },
    { id: 'b', group: 1, host: '127.0.0.1', udpPort: 2 },
    ...extra,
  ],
  cameras: [
    { id: 'c1', url: 'rtsp://h/c1', server: 'a' },
    { id: 'c2', url: 'rtsp://h/c2', server: 'b' },
  ],
});

const harness = (t: { after: (fn: () => Promise<void>) => void }) => controllerHarness(t, farm());

test('a failover with no free server waits, and resumes when a server is added', async (t) => {
  const { c, store, status, at, clock } = await harness(t);
  await status('a');
  await status('b');
  await at(100);
  clock.t = 1_001_500;
  await status('b', ['a']);
  await at(1500);
  let [fo] = await store.failovers();
  assert.deepEqual(
    [fo.server, fo.trigger, fo.status, fo.detail.reason],
    ['a', 'buddy-quorum', 'waiting', 'no redundant server free in group 1'],
  );
  assert.equal(c.state().cameras.find((x) => x.id === 'c1')!.current, 'a', 'nothing moved');

  await c.applyConfig(parseFarmConfig(farm([{ id: 'n', group: 1, host: '127.0.0.1', udpPort: 3 }])).config);
  await at(1600);
  [fo] = await store.failovers();
  assert.equal(fo.status, 'running');
  assert.equal(fo.detail.target, 'n');
  assert.ok((fo.detail.steps as { step: string }[]).some((s) => s.step === 'resume'));
  assert.equal(c.assignment('n')!.cameras[0].id, 'c1');

  clock.t = 1_002_000;
  await status('n', [], [{ camera: 'c1', startMs: 1_001_700, endMs: 1_002_000 }]);
  [fo] = await store.failovers();
  assert.equal(fo.status, 'done');
  assert.equal((await store.failovers()).length, 1, 'one failover, resumed, not a second one');
});

test('a waiting failover is cancelled when its server comes back; it keeps its cameras', async (t) => {
  const { c, store, status, back, at, clock } = await harness(t);
  await status('a');
  clock.t = 1_001_500;
  await status('b', ['a']);
  await at(1500);
  assert.equal((await store.failovers())[0].status, 'waiting');
  clock.t = 1_002_000;
  await back('a');
  const [fo] = await store.failovers();
  assert.equal(fo.status, 'cancelled');
  assert.equal(c.state().servers.find((s) => s.id === 'a')!.state, 'up');
  assert.deepEqual(
    c.assignment('a')!.cameras.map((x) => x.id),
    ['c1'],
  );
});

test('two servers that only lose UDP to each other are not failed over while they report', async (t) => {
  const { store, status, at, clock } = await harness(t);
  for (const ms of [0, 500, 1000, 1500, 2000, 2500, 3000]) {
    clock.t = 1_000_000 + ms;
    await status('a', ms >= 1000 ? ['b'] : []);
    await status('b', ms >= 1000 ? ['a'] : []);
    await at(ms);
  }
  assert.deepEqual(await store.failovers(), []);
});

test('a lost server alone in its group is confirmed down by lost status', async (t) => {
  const { store, status, at } = await harness(t);
  await status('a');
  await status('b');
  await at(900);
  assert.deepEqual(await store.failovers(), [], 'not yet: buddies need a quorum, lost status needs 2 x missed');
  await at(2100);
  const fos = await store.failovers();
  assert.deepEqual(
    fos.map((f) => [f.server, f.trigger]),
    [['a', 'status-lost']],
    'one at a time: the other is judged on the next tick',
  );
});

test('after the master itself stalled, nobody is judged until statuses had time to come again', async (t) => {
  const { c, store, status, at, clock } = await harness(t);
  await status('a');
  await status('b');
  await at(100);
  // The master was stalled 3 s: both servers look silent for longer than 2 x FarmHealthMissedUdpMs.
  clock.t = 1_003_100;
  c.masterPaused(clock.t, 3000);
  await at(3100);
  await at(3250);
  assert.deepEqual(await store.failovers(), [], "no failover for a silence that was the master's");
  // Statuses come again; only a server that stays silent is judged, on the usual thresholds.
  clock.t = 1_003_300;
  await status('b', ['a']);
  await at(3300);
  await at(3400);
  const [fo] = await store.failovers();
  assert.equal(fo?.server, 'a');
});

test('all storage failed on a server that still reports: its cameras move; it stays down until its storage is back', async (t) => {
  const { c, store, at, clock } = await harness(t);
  await c.applyConfig(parseFarmConfig(farm([{ id: 'n', group: 1, host: '127.0.0.1', udpPort: 3 }])).config);
  const storage = (allFailed: boolean) => ({
    availability: 'failover' as const,
    allFailed,
    paths: [{ path: '/d1', healthy: !allFailed, read: false }],
  });
  let answeredAtMs: number | undefined;
  const report = async (ms: number, allFailed: boolean) => {
    clock.t = 1_000_000 + ms;
    for (const id of ['b', 'n'])
      await c.onStatus(id, { bootId: `boot-${id}`, suspects: [], cameras: {}, segments: [] });
    const status = {
      bootId: 'boot-a',
      answeredAtMs,
      suspects: [],
      cameras: {},
      segments: [],
      storage: storage(allFailed),
    };
    answeredAtMs = (await c.onStatus('a', status)).masterTimeMs;
    await at(ms);
  };
  for (const ms of [0, 250, 500]) await report(ms, false);
  for (const ms of [750, 1000, 1500]) await report(ms, true);
  assert.deepEqual(await store.failovers(), [], 'not before the report has held for FarmHealthMissedUdpMs');
  await report(1800, true);
  const [fo] = await store.failovers();
  assert.deepEqual([fo.server, fo.trigger, fo.detail.target], ['a', 'storage-failed', 'n']);
  assert.equal(c.assignment('n')!.cameras[0].id, 'c1');
  await report(2500, true);
  assert.equal(
    c.state().servers.find((s) => s.id === 'a')!.state,
    'down',
    'still failed: not back as a redundant server',
  );
  await report(3000, false);
  assert.equal(c.state().servers.find((s) => s.id === 'a')!.state, 'up', 'storage back: a redundant server again');
  assert.deepEqual(c.assignment('a')!.cameras, []);
  assert.equal((await store.failovers()).length, 1);
});

test("a status's segments of a camera its server does not record stay out of the timeline, counted", async (t) => {
  const { c, store, status } = await harness(t);
  await status('a', [], [{ camera: 'c1', startMs: 1000, endMs: 2000 }]);
  await status(
    'b',
    [],
    [
      { camera: 'c2', startMs: 1000, endMs: 2000 },
      { camera: 'c1', startMs: 2000, endMs: 3000 },
      { camera: 'nope', startMs: 2000, endMs: 3000 },
    ],
  );
  const servers = async (camera: string) => (await store.recordings(camera, 0, 10_000)).map((r) => r.server);
  assert.deepEqual(await servers('c1'), ['a'], "b's segment of a's camera is refused");
  assert.deepEqual(await servers('c2'), ['b']);
  assert.deepEqual([c.refusedSegmentsOf('a'), c.refusedSegmentsOf('b')], [0, 2]);
});

test("a server's assignment carries the Alive keys of its own pairs only", async (t) => {
  const { c } = await harness(t);
  const keyOf = TEST_ALIVE_KEYS;
  assert.deepEqual(c.assignment('a')!.alive, {
    send: { b: keyOf('a', 'b').toString('hex') },
    receive: { b: keyOf('b', 'a').toString('hex') },
  });
});

test('one fault, one failover entry: statuses sent before the confirmation, delivered after it, do not bring the server back', async (t) => {
  const { c, store, status, back, at, clock } = await harness(t);
  const a = (seq: number, answeredAtMs?: number) =>
    c.onStatus('a', { bootId: 'boot-a', seq, answeredAtMs, suspects: [], cameras: {}, segments: [] });
  const { masterTimeMs: lastAnswer } = await a(1);
  await status('b');
  // a is cut off: statuses 2 and 3 wait in the network; b reports it; the master confirms it down.
  clock.t = 1_001_500;
  await status('b', ['a']);
  await at(1500);
  clock.t = 1_002_000;
  await status('b', ['a']);
  await at(2100);
  const down = c.state().servers.find((s) => s.id === 'a')!;
  assert.equal(down.state, 'down');
  // Delivered late, in any order: neither may revive a (nor count as news of it at all, for 2 after 3).
  clock.t = 1_002_200;
  await a(3, lastAnswer);
  await a(2, lastAnswer);
  assert.equal(c.state().servers.find((s) => s.id === 'a')!.state, 'down', 'a status from before the verdict');
  assert.equal(c.staleStatusesOf('a'), 1);
  for (const ms of [2300, 3500, 5000]) {
    clock.t = 1_000_000 + ms;
    await status('b', ['a']);
    await at(ms);
  }
  assert.equal((await store.failovers()).length, 1, 'one fault, one failover entry');
  // The cut heals: a's next status gets an answer from after the verdict, the one after brings it back.
  const { masterTimeMs } = await a(4, lastAnswer);
  assert.equal(c.state().servers.find((s) => s.id === 'a')!.state, 'down');
  clock.t += 100;
  await a(5, masterTimeMs);
  assert.equal(c.state().servers.find((s) => s.id === 'a')!.state, 'up');
  await back('b');
  assert.equal((await store.failovers()).length, 1);
});
