import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { diskSegments, footageHoles } from './support/disk-footage.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';

// Fixed loopback ports of the 21xxx family (the other end-to-end tests use 18xxx-19xxx, the benches 28xxx).
const PORTS = { master: 21780, rtsp: 21854, udp: 21345 };
const MISSED_MS = 2000;
const START_DELAY_MS = 8000;
/** The most footage a kill may cost: detection, the taker's ffmpeg start, the ~1 s the killed server had not stored. */
const KILL_HOLE_MS = MISSED_MS + 3000;

test('failoverMode none and movable false: those cameras stay with their failed server, unrecorded, while the others move; they record again when it is back', {
  timeout: 120_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'modes', PORTS.master);
  const url = (id: string) => `rtsp://127.0.0.1:${PORTS.rtsp}/${id}`;
  await fut.farm.startSim(PORTS.rtsp, ['c1', 'c2', 'c3']);
  await fut.start({
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: MISSED_MS,
      FarmHealthStartDelayMs: START_DELAY_MS,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1 }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: [
      { id: 'c1', url: url('c1'), server: 's1' },
      { id: 'c2', url: url('c2'), server: 's1', failoverMode: 'none' },
      { id: 'c3', url: url('c3'), server: 's1', movable: false },
    ],
  });
  await fut.settled({ c1: 's1', c2: 's1', c3: 's1' }, 60_000);
  const since = Date.now();

  // Not movable: an operator cannot move it either.
  const refused = await fut.request('POST', '/api/v1/cameras/c3/move', { to: 's2' });
  assert.equal(refused.status, 409);
  assert.match(((await refused.json()) as { error: { message: string } }).error.message, /camera c3 is not movable/);

  await fut.judging(START_DELAY_MS);
  assert.deepEqual(await fut.failovers(), [], 'no failover while all is well');
  const killedAt = Date.now();
  await fut.farm.kill('s1');
  await fut.settled({ c1: 's2' });
  await fut.farm.waitFor(async () => (await fut.failovers())[0]?.status === 'done', 10_000, 'the failover of s1 done');
  const [fo] = await fut.failovers();
  assert.deepEqual(
    [fo.server, fo.detail.moves.map((m) => `${m.camera}:${m.from}→${m.to}`), fo.detail.unrecorded],
    ['s1', ['c1:s1→s2'], ['c2', 'c3']],
    'only c1 moves; c2 and c3 are logged unrecorded',
  );
  const cams = await fut.cameras();
  for (const id of ['c2', 'c3'])
    assert.deepEqual(
      [id, cams.find((c) => c.id === id)!.currentServer, cams.find((c) => c.id === id)!.recording],
      [id, 's1', 'unrecorded'],
    );
  assert.deepEqual(
    (await fut.assignment<{ cameras: { id: string }[] }>('s2')).cameras.map((c) => c.id),
    ['c1'],
    "s2's assignment: c1 only",
  );
  await delay(3000);
  for (const id of ['c2', 'c3']) assert.ok(!existsSync(join(fut.storageOf('s2'), id)), `s2 recorded nothing of ${id}`);

  // s1 is back: c2 and c3 record there again; c1 stays on s2 (onReturn spare).
  fut.startNode('s1');
  await fut.settled({ c1: 's2', c2: 's1', c3: 's1' });
  const backAt = Date.now();
  await delay(3000);
  const until = Date.now() - 1500;
  for (const id of ['c2', 'c3']) assert.ok(!existsSync(join(fut.storageOf('s2'), id)), `s2 never recorded ${id}`);
  await fut.footageReaches(['s1', 's2'], 'c1', until);
  for (const id of ['c2', 'c3']) await fut.footageReaches(['s1'], id, until);

  // The files: c1 has the failover's hole only; c2 and c3 one hole, from the kill until s1 was back.
  const c1Holes = footageHoles(
    [...diskSegments(fut.storageOf('s1'), 'c1'), ...diskSegments(fut.storageOf('s2'), 'c1')],
    since,
    until,
  );
  assert.ok(c1Holes.length <= 1, JSON.stringify(c1Holes));
  for (const h of c1Holes)
    assert.ok(
      h.startMs >= killedAt - 2000 && h.endMs <= killedAt + KILL_HOLE_MS,
      `c1: a hole of ${h.ms} ms, ${h.startMs - killedAt} ms from the kill`,
    );
  for (const id of ['c2', 'c3']) {
    const holes = footageHoles(diskSegments(fut.storageOf('s1'), id), since, until);
    assert.equal(holes.length, 1, `${id}: ${JSON.stringify(holes)}`);
    assert.ok(
      holes[0].startMs >= killedAt - 2000 && holes[0].startMs <= killedAt && holes[0].endMs <= backAt,
      `${id}: the hole is s1's downtime (${holes[0].startMs - killedAt} ms to ${holes[0].endMs - killedAt} ms from the kill)`,
    );
  }
});
