import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { exampleFarm, EXAMPLE_CAMERAS } from '../src/farm/example-farm.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { newFarmKey } from '../src/lib/farm-key.ts';
import { encodeAlive } from '../src/health/alive-codec.ts';

// Fixed loopback ports picked away from the defaults (8080, 8554, 5045) and from the other tests.
const MASTER_PORT = 18480;
const RTSP_PORT = 18554;
const UDP_BASE = 18045;
const MISSED_MS = 1500;
// The nodes start after the master here, four at once on two cores, each loading its sources
// through tsx: FarmHealthStartDelayMs must cover that, or a node still starting is "lost".
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: MISSED_MS,
  FarmHealthStartDelayMs: 12_000,
  StatusIntervalMs: 250,
};

interface Camera {
  id: string;
  currentServer: string;
  recording: string;
}
interface Server {
  id: string;
  role: string;
  state: string;
  cameras: string[];
  udp: { dropped: Record<string, number> } | null;
}
interface Failover {
  server: string;
  trigger: string;
  status: string;
  detail: {
    reporters: string[];
    target?: string;
    reason?: string;
    moves: { camera: string; from: string; to: string }[];
    unrecorded: string[];
    steps: { step: string }[];
  };
}
interface Timeline {
  intervals: { startMs: number; endMs: number; servers: string[] }[];
  gaps: { ms: number }[];
}

test('a farm survives kill -9 of a recording server; a group without a redundant server waits; a returning server is redundant', {
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  // With VIGIL_DB the master's store is a PostgreSQL database of this farm's own (CI runs both).
  const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: MASTER_PORT, postgres: process.env.VIGIL_DB });
  const forger = createSocket('udp4');
  t.after(async () => {
    forger.close();
    await farm.close();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const cameras = () => farm.api<Camera[]>('/api/v1/cameras');
  const servers = () => farm.api<Server[]>('/api/v1/servers');
  const failovers = () => farm.api<Failover[]>('/api/v1/failovers');
  const timelineOf = (id: string, from: number, to: number) =>
    farm.api<Timeline>(`/api/v1/cameras/${id}/timeline?from=${from}&to=${to}`);

  await farm.startSim(RTSP_PORT, Object.values(EXAMPLE_CAMERAS).flat());
  const firstMasterAt = Date.now();
  await farm.startMaster(
    exampleFarm({ simUrl: (id) => `rtsp://127.0.0.1:${RTSP_PORT}/${id}`, udpBasePort: UDP_BASE, settings }),
  );
  for (const id of Object.keys(EXAMPLE_CAMERAS)) farm.startNode(id);
  await farm.waitFor(
    async () => (await cameras()).every((c) => c.recording === 'recording'),
    60_000,
    'every camera recording',
  );
  const recordingSince = Date.now();
  await delay(10_000);
  // Judging starts FarmHealthStartDelayMs after the master: the kill comes after, so it is judged at once.
  await delay(Math.max(0, firstMasterAt + settings.FarmHealthStartDelayMs + 2 * MISSED_MS - Date.now()));
  assert.deepEqual(await failovers(), [], 'no failover while all is well');

  // While s1 is dead, a forger sends s2 junk and Alives signed with the wrong key in s1's name.
  const forge = setInterval(() => {
    forger.send(Buffer.from('not an alive'), UDP_BASE + 1, '127.0.0.1');
    forger.send(
      encodeAlive(
        { sender: 's1', recipient: 's2', bootId: Buffer.alloc(16), seq: 1n, sentAt: Date.now() },
        Buffer.from('wrong key'),
      ),
      UDP_BASE + 1,
      '127.0.0.1',
    );
  }, 50);
  t.after(() => clearInterval(forge));
  const killedAt = Date.now();
  await farm.kill('s1');
  await farm.waitFor(
    async () =>
      (await cameras())
        .filter((c) => ['c1', 'c2'].includes(c.id))
        .every((c) => c.currentServer === 's3' && c.recording === 'recording'),
    30_000,
    'c1 and c2 recording on s3',
  );
  clearInterval(forge);
  await delay(3000); // let s3's first segments and s2's latest reach the master

  const firstOnS3 = Math.min(
    ...(await timelineOf('c1', killedAt - 5000, Date.now())).intervals
      .filter((i) => i.servers.includes('s3'))
      .map((i) => i.startMs),
  );
  assert.ok(
    firstOnS3 - killedAt <= MISSED_MS + 3000,
    `c1 recorded on s3 from ${firstOnS3 - killedAt} ms after the kill (media timestamps)`,
  );

  const [fo] = await failovers();
  assert.equal(fo.server, 's1');
  assert.equal(fo.trigger, 'buddy-quorum');
  assert.deepEqual(fo.detail.reporters, ['s2', 's3']);
  assert.equal(fo.detail.target, 's3');
  assert.deepEqual(
    fo.detail.moves.map(({ camera, from, to }) => ({ camera, from, to })),
    [
      { camera: 'c1', from: 's1', to: 's3' },
      { camera: 'c2', from: 's1', to: 's3' },
    ],
  );
  assert.equal(fo.status, 'done');
  for (const step of ['detect', 'plan', 'commit', 'assigned', 'recording'])
    assert.ok(
      fo.detail.steps.some((s) => s.step === step),
      `step ${step} logged`,
    );

  const now = Date.now() - 1500;
  for (const id of ['c1', 'c2']) {
    const tl = await timelineOf(id, recordingSince, now);
    assert.ok(
      tl.intervals.some((i) => i.servers.includes('s1')) && tl.intervals.some((i) => i.servers.includes('s3')),
      `${id} recorded by s1 then s3`,
    );
    const worst = Math.max(0, ...tl.gaps.map((g) => g.ms));
    assert.ok(
      worst <= MISSED_MS + 3000,
      `${id}: largest hole ${worst} ms (from media timestamps) within FarmHealthMissedUdpMs + 3 s`,
    );
    assert.ok(tl.gaps.length <= 1, `${id}: one hole at most, at the failover: ${JSON.stringify(tl.gaps)}`);
  }
  for (const id of ['c3', 'c4']) {
    const tl = await timelineOf(id, recordingSince, now);
    assert.deepEqual(tl.gaps, [], `${id} on the surviving server has no gap`);
    assert.equal(tl.intervals.length, 1);
    assert.ok(tl.intervals[0].endMs - tl.intervals[0].startMs > now - recordingSince - 3000);
  }
  const s2 = (await servers()).find((s) => s.id === 's2')!;
  assert.ok((s2.udp?.dropped.malformed ?? 0) > 0, 'junk datagrams counted');
  assert.ok((s2.udp?.dropped['bad-mac'] ?? 0) > 0, 'forged Alives counted, and they did not keep s1 alive');

  // Group 7 has no redundant server: the failover waits and nothing moves.
  await farm.kill('s7');
  // The entry is written 'running' and then settled: on PostgreSQL a read can fall in between.
  await farm.waitFor(
    async () => (await failovers()).some((f) => f.server === 's7' && f.status !== 'running'),
    20_000,
    'a settled failover entry for s7',
  );
  const f7 = (await failovers()).find((f) => f.server === 's7')!;
  assert.equal(f7.status, 'waiting');
  assert.equal(f7.trigger, 'status-lost');
  assert.match(f7.detail.reason ?? '', /no redundant server/);
  assert.deepEqual(f7.detail.unrecorded, ['c7a', 'c7b']);
  const cams = await cameras();
  for (const id of ['c7a', 'c7b'])
    assert.deepEqual(
      cams.find((c) => c.id === id),
      { ...cams.find((c) => c.id === id), currentServer: 's7', recording: 'unrecorded' },
    );

  // s1 comes back: it holds no cameras and is the group's redundant server from now on.
  farm.startNode('s1');
  await farm.waitFor(
    async () => {
      const s1 = (await servers()).find((s) => s.id === 's1')!;
      return s1.state === 'up' && s1.role === 'redundant' && s1.cameras.length === 0;
    },
    30_000,
    's1 back as a redundant server',
  );
  const after = await servers();
  assert.equal(after.find((s) => s.id === 's3')!.role, 'active');
  assert.deepEqual((await failovers()).map((f) => f.server).sort(), ['s1', 's7'], 'no false failover');

  // The master dies: the servers keep recording what they were assigned, and report the footage
  // when it is back. No camera of a running server has a hole, and nobody is failed over.
  const masterDownAt = Date.now();
  await farm.kill('master');
  await delay(4000);
  const _masterStartedAt = Date.now();
  await farm.startMaster(
    exampleFarm({ simUrl: (id) => `rtsp://127.0.0.1:${RTSP_PORT}/${id}`, udpBasePort: UDP_BASE, settings }),
  );
  const restartedAt = Date.now();
  await farm.waitFor(
    async () => {
      for (const id of ['c1', 'c2', 'c3', 'c4']) {
        const tl = await timelineOf(id, masterDownAt, Date.now());
        if (!tl.intervals.length || tl.intervals.at(-1)!.endMs <= masterDownAt + 6000) return false;
      }
      return true;
    },
    20_000,
    'footage recorded while the master was down reaching the new master',
  );
  for (const id of ['c1', 'c2', 'c3', 'c4']) {
    const tl = await timelineOf(id, masterDownAt - 2000, masterDownAt + 6000);
    assert.deepEqual(tl.gaps, [], `${id}: no hole while the master was down`);
    assert.ok(
      tl.intervals[0].startMs <= masterDownAt - 2000 && tl.intervals[0].endMs >= masterDownAt + 6000,
      `${id} covered`,
    );
  }
  // The new master starts judging after FarmHealthStartDelayMs; give it that and 2 x the threshold.
  await delay(Math.max(0, restartedAt + settings.FarmHealthStartDelayMs + 2 * MISSED_MS + 1000 - Date.now()));
  assert.deepEqual(
    (await failovers()).map((f) => f.server).sort(),
    ['s1', 's7'],
    'no failover after the master restarted',
  );
});
