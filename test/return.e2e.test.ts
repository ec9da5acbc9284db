import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import {
  copyBackProblems,
  diskSegments,
  FootageLedger,
  footageHoles,
  type DiskSegment,
} from './support/disk-footage.ts';
import { FarmUnderTest, type CopyJobView } from './support/farm-under-test.ts';

// Fixed loopback ports of the 21xxx family (the other end-to-end tests use 18xxx-19xxx, the benches 28xxx).
const SWAP = { master: 21480, rtsp: 21554, udp: 21045 };
const FAILBACK = { master: 21481, rtsp: 21555, udp: 21047 };
const MISSED_MS = 2000;
const START_DELAY_MS = 8000;
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: MISSED_MS,
  FarmHealthStartDelayMs: START_DELAY_MS,
  StatusIntervalMs: 250,
};
/** The most footage a kill may cost: detection, the taker's ffmpeg start, the ~1 s the killed server had not stored. */
const KILL_HOLE_MS = MISSED_MS + 3000;

/** Asserts every hole is one a kill explains: it starts at most 2 s before a kill, and ends within KILL_HOLE_MS after it. */
function onlyKillHoles(holes: { startMs: number; endMs: number; ms: number }[], kills: number[], what: string): void {
  for (const h of holes)
    assert.ok(
      kills.some((k) => h.startMs >= k - 2000 && h.endMs <= k + KILL_HOLE_MS),
      `${what}: a hole of ${h.ms} ms at ${h.startMs}–${h.endMs} that no kill explains (kills at ${kills.join(', ')})`,
    );
}

test('onReturn swap: a failed server comes back as the failover server of the one that took over, which keeps its cameras; the next failure moves them to it', {
  timeout: 120_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'swap', SWAP.master);
  const config: FarmConfigInput = {
    settings,
    groups: [{ id: 1, policy: 'standby', failoverServers: ['f1'], onReturn: 'swap' }],
    servers: ['s1', 'f1'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: SWAP.udp + i })),
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${SWAP.rtsp}/c1`, server: 's1' }],
  };
  const assignment = (server: string) => fut.assignment<{ cameras: { id: string; buffer?: unknown }[] }>(server);

  await fut.farm.startSim(SWAP.rtsp, ['c1']);
  await fut.start(config);
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  await fut.judging(START_DELAY_MS);
  assert.deepEqual(await fut.failovers(), [], 'no failover while all is well');

  // s1 dies: its failover server f1 takes c1.
  const firstKill = Date.now();
  await fut.farm.kill('s1');
  await fut.settled({ c1: 'f1' });
  const [first] = await fut.failovers();
  assert.deepEqual([first.server, first.detail.targets], ['s1', ['f1']]);

  // s1 comes back and swaps roles with f1 (Mirasys): it is the failover server now, holding nothing;
  // f1 keeps c1 as its own. Nothing fails back, nothing is copied.
  fut.startNode('s1');
  await fut.farm.waitFor(async () => (await fut.server('s1')).state === 'up', 30_000, 's1 back');
  const s1UpAt = Date.now();
  const servers = await fut.servers();
  const s1 = servers.find((s) => s.id === 's1')!;
  const f1 = servers.find((s) => s.id === 'f1')!;
  assert.deepEqual(
    [s1.swappedWith, s1.role, s1.cameras, f1.swappedWith, f1.role, f1.cameras],
    ['f1', 'redundant', [], 's1', 'active', ['c1']],
    'the roles are swapped',
  );
  assert.deepEqual((await assignment('s1')).cameras, [], "s1's assignment: nothing to record, nothing to pre-buffer");
  assert.deepEqual(
    (await assignment('f1')).cameras.map((c) => [c.id, c.buffer ?? null]),
    [['c1', null]],
    "f1's assignment: c1, recorded",
  );
  // Long enough for s1's buddy watch to start judging again (its FarmHealthStartDelayMs), and for a
  // failback, were there one, to have begun.
  await fut.judging(START_DELAY_MS);
  const c1 = await fut.camera('c1');
  assert.deepEqual([c1.homeServer, c1.currentServer, c1.recording], ['s1', 'f1', 'recording'], 'c1 stays on f1');
  assert.equal((await fut.failovers()).length, 1, 'no failback, no other failover');
  assert.deepEqual(await fut.farm.api<unknown[]>('/api/v1/copybacks'), [], 'no copy-back');

  // f1 dies: s1, now playing the failover server's role, takes c1.
  const secondKill = Date.now();
  await fut.farm.kill('f1');
  await fut.settled({ c1: 's1' });
  const second = (await fut.failovers()).at(-1)!;
  assert.deepEqual(
    [second.server, second.detail.targets, second.detail.moves.map((m) => `${m.camera}:${m.from}→${m.to}`)],
    ['f1', ['s1'], ['c1:f1→s1']],
    's1 took over as the failover server',
  );
  await delay(3000); // s1's latest segments stored
  const until = Date.now() - 1500;

  // The files on both disks: one hole at each failover, none while the roles were swapped.
  const onS1 = diskSegments(fut.storageOf('s1'), 'c1');
  const onF1 = diskSegments(fut.storageOf('f1'), 'c1');
  const holes = footageHoles([...onS1, ...onF1], since, until);
  onlyKillHoles(holes, [firstKill, secondKill], 'c1 on disk');
  assert.ok(holes.length <= 2, `at most one hole per failover: ${JSON.stringify(holes)}`);
  const recordedOn = (segs: DiskSegment[], from: number, to: number) =>
    segs.filter((s) => s.endMs > from && s.startMs < to).length;
  assert.ok(recordedOn(onF1, firstKill + KILL_HOLE_MS, secondKill - 1000) > 0, 'f1 recorded c1 between the failures');
  // (Restarted, s1 records its last known assignment until the master's answer: a second or so.)
  assert.equal(
    recordedOn(onS1, s1UpAt + 3000, secondKill - 1000),
    0,
    's1 did not record c1 while it was the failover server',
  );
  assert.ok(recordedOn(onS1, secondKill, until) > 0, 's1 records c1 after the second failure');
  const tl = await fut.timeline('c1', since, until);
  assert.ok(tl.gaps.length <= 2, `the master's timeline agrees: ${JSON.stringify(tl.gaps)}`);
  onlyKillHoles(tl.gaps, [firstKill, secondKill], "c1's timeline");
});

test('onReturn failback after failbackAfterMs: the cameras come home make-before-break, the footage recorded elsewhere is copied home and released there', {
  timeout: 120_000,
}, async (t) => {
  const FAILBACK_AFTER_MS = 3000;
  const fut = new FarmUnderTest(t, 'autofailback', FAILBACK.master);
  await fut.farm.startSim(FAILBACK.rtsp, ['c1']);
  await fut.start({
    settings,
    groups: [{ id: 1, policy: 'spare', onReturn: 'failback', failbackAfterMs: FAILBACK_AFTER_MS }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: FAILBACK.udp + i })),
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${FAILBACK.rtsp}/c1`, server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  // s2's footage of c1, file by file with its bytes' sha256, as s2 stores it: before any release.
  const away = new FootageLedger(fut.storageOf('s2'), 'c1');
  const noting = setInterval(() => away.note(), 200);
  t.after(() => clearInterval(noting));
  await fut.judging(START_DELAY_MS);

  const killedAt = Date.now();
  await fut.farm.kill('s1');
  await fut.settled({ c1: 's2' });
  await delay(5000); // footage on s2, to be copied home

  // s1 comes back; c1 stays on s2 until s1 has been healthy for failbackAfterMs.
  fut.startNode('s1');
  let askedWhileDown = 0;
  await fut.farm.waitFor(
    async () => {
      const asked = Date.now();
      if ((await fut.server('s1')).state === 'up') return true;
      askedWhileDown = asked;
      return false;
    },
    30_000,
    's1 back',
  );
  const upSeenAt = Date.now();
  away.note();
  assert.ok(away.files.size >= 5, `s2 recorded c1 while s1 was down (${away.files.size} segments)`);
  await fut.farm.waitFor(
    async () => (await fut.failovers()).some((f) => f.trigger === 'failback'),
    FAILBACK_AFTER_MS + 10_000,
    'the automatic failback',
  );
  const fb = (await fut.failovers()).find((f) => f.trigger === 'failback')!;
  assert.ok(
    fb.startedAt - askedWhileDown >= FAILBACK_AFTER_MS,
    `failback ${fb.startedAt - askedWhileDown} ms after s1 was last seen down (failbackAfterMs ${FAILBACK_AFTER_MS})`,
  );
  assert.ok(
    fb.startedAt - upSeenAt <= FAILBACK_AFTER_MS + 2000,
    `and soon after: ${fb.startedAt - upSeenAt} ms after s1 was seen up`,
  );
  assert.deepEqual(
    [fb.server, fb.detail.planned, fb.detail.moves.map((m) => `${m.camera}:${m.from}→${m.to}`)],
    ['s1', true, ['c1:s2→s1']],
  );
  await fut.settled({ c1: 's1' });

  // The copy-back: every segment s2 recorded is stored on s1 (same start, same sha256 as s2 held), then released on s2.
  await fut.farm.waitFor(
    async () => {
      const jobs = (await fut.failovers()).find((f) => f.id === fb.id)!.detail.copyBack as CopyJobView[] | undefined;
      return !!jobs?.length && jobs.every((j) => j.state === 'done');
    },
    40_000,
    'copy-back done',
  );
  const jobs = (await fut.failovers()).find((f) => f.id === fb.id)!.detail.copyBack!;
  assert.deepEqual(
    jobs.map((j) => [j.camera, j.source, j.home, j.state]),
    [['c1', 's2', 's1', 'done']],
  );
  await delay(2000); // s1's latest segments stored
  const until = Date.now() - 1500;
  clearInterval(noting);
  away.note(); // any file of s2's left: it must not be
  assert.deepEqual(
    copyBackProblems(away, fut.storageOf('s2'), fut.storageOf('s1'), 's1'),
    [],
    'all of s2 came home intact',
  );
  const home = diskSegments(fut.storageOf('s1'), 'c1');
  assert.deepEqual(
    diskSegments(fut.storageOf('s2'), 'c1').map((s) => basename(s.file)),
    [],
    's2 released every segment of c1',
  );

  // s1's disk alone now holds c1's whole footage: one hole, at the failure; none at the failback.
  const holes = footageHoles(home, since, until);
  onlyKillHoles(holes, [killedAt], "c1 on s1's disk");
  assert.ok(holes.length <= 1, `one hole at most: ${JSON.stringify(holes)}`);
  const tl = await fut.timeline('c1', since, until);
  assert.deepEqual([...new Set(tl.recorded.map((r) => r.server))], ['s1'], "the master's catalogue: all footage on s1");
  assert.ok(tl.gaps.length <= 1, `the master's timeline agrees: ${JSON.stringify(tl.gaps)}`);
  onlyKillHoles(tl.gaps, [killedAt], "c1's timeline");
});
