import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { FarmUnderTest } from './support/farm-under-test.ts';

// Loopback ports of this test (order-outage's 27400 family).
const PORTS = { master: 27420, rtsp: 27456, udp: 27451 };
const CAMERAS = ['c1', 'c2'];
/** Longer than the recorder's start grace (10 s): the cameras are judged offline, then come back. */
const CAMERA_DOWN_MS = 14_000;

test('cameras restarting together: offline, then starting and recording again; never failing, no recording-failed, no failover', {
  timeout: 180_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'camera-restart', PORTS.master);
  const url = (id: string) => `rtsp://127.0.0.1:${PORTS.rtsp}/${id}`;
  await fut.farm.startSim(PORTS.rtsp, CAMERAS);
  await fut.start({
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: 2000,
      FarmHealthStartDelayMs: 6000,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1 }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: CAMERAS.map((id) => ({ id, url: url(id), server: 's1' })),
  });
  await fut.settled({ c1: 's1', c2: 's1' }, 60_000);
  await fut.judging(6000);

  // Every state the API shows, sampled faster than the servers report (StatusIntervalMs 250).
  const seen = new Map<string, string[]>(CAMERAS.map((c) => [c, []]));
  let recordingFailed = false;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const c of await fut.cameras()) {
        const states = seen.get(c.id)!;
        if (states.at(-1) !== c.recording) states.push(c.recording);
      }
      recordingFailed ||= (await fut.server('s1')).recordingFailed;
      await delay(100);
    }
  })();
  try {
    // The cameras reboot: RTSP gone, then back (the simulator, with their encoders, stopped and started).
    await fut.farm.kill('sim');
    await delay(CAMERA_DOWN_MS);
    await fut.farm.startSim(PORTS.rtsp, CAMERAS);
    await fut.farm.waitFor(
      () => CAMERAS.every((c) => seen.get(c)!.includes('offline') && seen.get(c)!.at(-1) === 'recording'),
      60_000,
      'both cameras offline, then recording again',
    );
    await delay(1000);
  } finally {
    sampling = false;
    await sampler;
  }
  for (const [camera, states] of seen) {
    assert.ok(!states.includes('failing'), `${camera} never failing: ${states.join(' → ')}`);
    assert.equal(states.at(-1), 'recording', `${camera}: ${states.join(' → ')}`);
  }
  assert.equal(recordingFailed, false, 's1 never reported that recording cannot start');
  assert.deepEqual(await fut.failovers(), [], 'no failover');
  console.log(JSON.stringify(Object.fromEntries(seen)));
});
