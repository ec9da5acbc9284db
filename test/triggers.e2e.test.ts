import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { brokenFfmpeg } from './support/broken-ffmpeg.ts';
import { diskSegments, footageHoles } from './support/disk-footage.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { mountTmpfs } from './support/tmpfs.ts';

// Fixed loopback ports of the 21xxx family (the other end-to-end tests use 18xxx-19xxx, the benches 28xxx).
const RECORDING = { master: 21580, rtsp: 21654, udp: 21145 };
const STORAGE = { master: 21581, rtsp: 21655, udp: 21149 };
const MISSED_MS = 2000;
const START_DELAY_MS = 8000;
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: MISSED_MS,
  FarmHealthStartDelayMs: START_DELAY_MS,
  StatusIntervalMs: 250,
};
const MB = 1024 * 1024;

test('recording-failed: a server whose cameras answer but cannot be recorded there is failed over when its group lists the trigger, and not when it does not', {
  timeout: 120_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'recfailed', RECORDING.master);
  const broken = { VIGIL_FFMPEG: brokenFfmpeg(t) };
  const config: FarmConfigInput = {
    settings,
    groups: [
      { id: 1 }, // every trigger
      { id: 2, triggers: ['buddy-quorum', 'status-lost', 'storage-failed', 'manual'] },
    ],
    servers: [
      ['s1', 1],
      ['s2', 1],
      ['s3', 2],
      ['s4', 2],
    ].map(([id, group], i) => ({
      id: String(id),
      group: Number(group),
      host: '127.0.0.1',
      udpPort: RECORDING.udp + i,
    })),
    cameras: [
      { id: 'c1', url: `rtsp://127.0.0.1:${RECORDING.rtsp}/c1`, server: 's1' },
      { id: 'c3', url: `rtsp://127.0.0.1:${RECORDING.rtsp}/c3`, server: 's3' },
    ],
  };
  await fut.farm.startSim(RECORDING.rtsp, ['c1', 'c3']);
  // s1 and s3 run an ffmpeg that cannot record: their cameras answer RTSP, but nothing is recorded there.
  await fut.start(config, { s1: broken, s3: broken });

  // Group 1 lists recording-failed: s1 is failed over and c1 records on s2, whose ffmpeg works.
  await fut.settled({ c1: 's2' }, 60_000);
  const [fo, ...others] = await fut.failovers();
  assert.deepEqual(
    [fo.server, fo.trigger, fo.detail.moves.map((m) => `${m.camera}:${m.from}→${m.to}`), others],
    ['s1', 'recording-failed', ['c1:s1→s2'], []],
  );
  await fut.farm.waitFor(
    async () => (await fut.failovers()).find((f) => f.id === fo.id)!.status === 'done',
    10_000,
    'the failover of s1 done',
  );

  // Group 2 does not: s3 reports it cannot record, c3 is failing, and s3 keeps it.
  await fut.farm.waitFor(async () => (await fut.server('s3')).recordingFailed, 30_000, 's3 reporting recordingFailed');
  const reportedAt = Date.now();
  assert.equal((await fut.camera('c3')).recording, 'failing', 'c3 answers but is not recorded');
  // Held well past FarmHealthMissedUdpMs, which failed s1 over.
  await delay(MISSED_MS + 4000);
  const s3 = await fut.server('s3');
  assert.deepEqual([s3.state, s3.recordingFailed, s3.cameras], ['up', true, ['c3']], 's3 up, still holding c3');
  const c3 = await fut.camera('c3');
  assert.deepEqual([c3.currentServer, c3.recording], ['s3', 'failing']);
  assert.deepEqual(
    (await fut.failovers()).map((f) => f.server),
    ['s1'],
    `no failover of s3 in the ${Date.now() - reportedAt} ms it reported recordingFailed`,
  );

  // s1 holds nothing now: its report clears, and it is back as group 1's redundant server.
  await fut.farm.waitFor(
    async () => {
      const s1 = await fut.server('s1');
      return s1.state === 'up' && !s1.recordingFailed && s1.role === 'redundant';
    },
    15_000,
    's1 back as a redundant server',
  );

  // The disks: nothing of c1 on s1 or of c3 anywhere; c1 on s2 from the failover on.
  await delay(1500);
  assert.equal(diskSegments(fut.storageOf('s1'), 'c1').length, 0, 's1 recorded nothing');
  for (const s of ['s3', 's4']) assert.equal(diskSegments(fut.storageOf(s), 'c3').length, 0, `no c3 on ${s}`);
  const onS2 = diskSegments(fut.storageOf('s2'), 'c1');
  const from = fo.startedAt + MISSED_MS + 3000; // the failover's own hole is the trigger's business
  assert.deepEqual(footageHoles(onS2, from, Date.now() - 1500), [], 'c1 recorded on s2 without a hole since');
});

test('storage-failed: a server whose every storage path fails is failed over, its cameras move and record elsewhere; what it staged meanwhile is stored once its storage is back', {
  timeout: 120_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'storagefailed', STORAGE.master);
  // After the farm is closed (hooks run in order): the tmpfs is unmounted once no node writes to it.
  const disk = mountTmpfs(t, 32 * MB);
  const remount = (mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, disk], { stdio: 'ignore' });
  await fut.farm.startSim(STORAGE.rtsp, ['c1']);
  await fut.start({
    settings,
    groups: [{ id: 1 }],
    servers: [
      { id: 's1', group: 1, host: '127.0.0.1', udpPort: STORAGE.udp, storage: { paths: disk, minFreeBytes: 2 * MB } },
      { id: 's2', group: 1, host: '127.0.0.1', udpPort: STORAGE.udp + 1 },
    ],
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${STORAGE.rtsp}/c1`, server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  await fut.judging(START_DELAY_MS);
  assert.ok(diskSegments(disk, 'c1').length >= 3, "c1 recorded on s1's storage path");
  assert.deepEqual(await fut.failovers(), [], 'no failover while all is well');

  const failedAt = Date.now();
  remount('ro');
  await fut.farm.waitFor(
    async () => (await fut.server('s1')).storage?.allFailed === true,
    15_000,
    's1 reporting all its storage failed',
  );
  await fut.settled({ c1: 's2' });
  const [fo] = await fut.failovers();
  assert.deepEqual(
    [fo.server, fo.trigger, fo.detail.moves.map((m) => `${m.camera}:${m.from}→${m.to}`)],
    ['s1', 'storage-failed', ['c1:s1→s2']],
  );
  assert.ok(
    fo.startedAt - failedAt >= MISSED_MS,
    `the report held for FarmHealthMissedUdpMs first (${fo.startedAt - failedAt} ms)`,
  );
  assert.equal((await fut.server('s1')).state, 'down');

  // The path is back: s1 stores the segments it staged meanwhile, its report clears, it is a spare now.
  await delay(2000);
  remount('rw');
  await fut.farm.waitFor(
    async () => {
      const s1 = await fut.server('s1');
      return s1.state === 'up' && s1.storage?.allFailed === false && s1.cameras.length === 0;
    },
    20_000,
    's1 back, holding nothing',
  );
  assert.deepEqual(
    [(await fut.camera('c1')).currentServer, (await fut.failovers()).length],
    ['s2', 1],
    'c1 stays on s2 (onReturn spare), no other failover',
  );
  await delay(2000);
  const until = Date.now() - 1500;
  const onS1 = diskSegments(disk, 'c1');
  const onS2 = diskSegments(fut.storageOf('s2'), 'c1');
  assert.ok(
    onS1.some((s) => s.startMs > failedAt + 500 && s.endMs < fo.startedAt),
    'the footage s1 staged while its storage was failed is on its disk now (staged, then stored)',
  );
  assert.ok(onS2.length > 0 && onS2[0].startMs >= fo.startedAt - 1000, 's2 recorded c1 from the failover on');
  // Between the two disks, the only hole is where s1 stopped and s2 started, right after the failover.
  const holes = footageHoles([...onS1, ...onS2], since, until);
  assert.ok(holes.length <= 1, JSON.stringify(holes));
  for (const h of holes)
    assert.ok(
      h.startMs >= fo.startedAt - 1000 && h.endMs <= fo.startedAt + 4000,
      `a hole of ${h.ms} ms at ${h.startMs - fo.startedAt} ms from the failover: only the handover from s1 to s2`,
    );
  t.diagnostic(
    `storage failed for ${fo.startedAt - failedAt} ms before the failover; holes: ${holes.map((h) => h.ms)}`,
  );
  const tl = await fut.timeline('c1', since, until);
  assert.ok(tl.gaps.length <= 1, `the master's timeline agrees: ${JSON.stringify(tl.gaps)}`);
});
