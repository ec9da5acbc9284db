import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm } from '../src/farm/local-farm.ts';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';
import { copyBackProblems, diskSegments, farmSegments, FootageLedger, footageHoles } from './support/disk-footage.ts';

// Fixed loopback ports away from the other tests (18480/18580/18680/18380 families) and the defaults.
const MASTER_PORT = 18780;
const RTSP_PORT = 18854;
const UDP_BASE = 18845;
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: 1500,
  FarmHealthStartDelayMs: 12_000,
  StatusIntervalMs: 250,
  // Slow enough that the copy is still under way when the test kills the home server.
  CopyBackMaxBytesPerSec: 40_000,
};

interface Camera {
  id: string;
  currentServer: string;
  recording: string;
  handover: { to: string } | null;
}
interface Failover {
  id: number;
  server: string;
  trigger: string;
  status: string;
  detail: {
    planned?: boolean;
    moves: { camera: string; to: string; recordingAt?: number }[];
    copyBack?: CopyJob[];
    steps: { step: string }[];
  };
}
interface CopyJob {
  id: string;
  source: string;
  home: string;
  state: string;
  fromMs: number;
  toMs: number;
  progress?: { segments: number; segmentsDone: number; bytesDone: number; percent: number };
}
interface Timeline {
  intervals: { startMs: number; endMs: number; servers: string[] }[];
  gaps: { startMs: number; endMs: number; ms: number }[];
  recorded: { server: string; startMs: number; endMs: number }[];
}

// Triggers "manual" only: killing the home server mid-copy must test the copy's resume, not a failover.
const config = (): FarmConfigInput => ({
  settings,
  groups: [{ id: 1, policy: 'spare', onReturn: 'failback', triggers: ['manual'] }],
  servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: UDP_BASE + i })),
  cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${RTSP_PORT}/c1`, server: 's1' }],
});

test('drain and resume are make-before-break (no gap); failback copies the footage home, verified, and resumes after a kill', {
  timeout: 300_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-handover-'));
  const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: MASTER_PORT });
  t.after(async () => {
    await farm.close();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const camera = async () => (await farm.api<Camera[]>('/api/v1/cameras'))[0];
  const failovers = () => farm.api<Failover[]>('/api/v1/failovers');
  const timeline = (from: number, to: number) =>
    farm.api<Timeline>(`/api/v1/cameras/c1/timeline?from=${from}&to=${to}`);
  const settled = async (server: string) => {
    await farm.waitFor(
      async () => {
        const c = await camera();
        return c.currentServer === server && !c.handover && c.recording === 'recording';
      },
      30_000,
      `c1 recording on ${server}`,
    );
  };

  // Each server's default storage path; s2's footage of c1 noted file by file (sha256) as it is stored, before any release.
  const storage = (server: string) => join(dir, 'nodes', server, 'storage');
  const away = new FootageLedger(storage('s2'), 'c1');
  const noting = setInterval(() => away.note(), 200);
  t.after(() => clearInterval(noting));
  const cameHome = (what: string) => {
    away.note();
    assert.deepEqual(copyBackProblems(away, storage('s2'), storage('s1'), 's1'), [], what);
  };

  await farm.startSim(RTSP_PORT, ['c1']);
  await farm.startMaster(config());
  farm.startNode('s1');
  farm.startNode('s2');
  await settled('s1');
  const since = Date.now();
  await delay(3000);

  // Drain: s2 records before s1 stops.
  const drain = await farm.post<Failover>('/api/v1/servers/s1/drain');
  assert.deepEqual([drain.trigger, drain.detail.planned, drain.detail.moves.map((m) => m.to)], ['drain', true, ['s2']]);
  await settled('s2');
  await delay(3000);
  // Resume: home again, the same way; then its footage on s2 is copied back.
  await farm.post<Failover>('/api/v1/servers/s1/resume');
  await settled('s1');
  await delay(4500); // the range below ends 3 s ago: it covers the handover back
  const plannedTo = Date.now() - 3000;
  // From the frames on both disks (s2's read first: a file a copy-back releases meanwhile is on s1 already).
  const plannedHoles = footageHoles(farmSegments([storage('s2'), storage('s1')], 'c1'), since, plannedTo);
  assert.deepEqual(plannedHoles, [], `no hole in the files across drain and resume: ${JSON.stringify(plannedHoles)}`);
  const planned = await timeline(since, plannedTo);
  assert.deepEqual(planned.gaps, [], `no hole across drain and resume: ${JSON.stringify(planned.gaps)}`);
  assert.deepEqual([...new Set(planned.recorded.map((r) => r.server))].sort(), ['s1', 's2']);
  const log = await failovers();
  assert.deepEqual(
    log.map((f) => [f.trigger, f.status]),
    [
      ['drain', 'done'],
      ['resume', 'done'],
    ],
  );

  // The copy-back of what s2 recorded during the drain completes: every file of it on s1's disk with
  // the bytes s2 held, none left on s2's, and s1's disk alone has no hole; the master's catalogue agrees.
  await farm.waitFor(
    async () => (await failovers())[1].detail.copyBack?.every((j) => j.state === 'done') === true,
    60_000,
    'copy-back after resume done',
  );
  const homeTo = Date.now() - 3000;
  assert.ok(away.files.size >= 3, `s2 recorded c1 during the drain (${away.files.size} files)`);
  cameHome('the drain: all of s2 came home intact');
  assert.deepEqual(footageHoles(diskSegments(storage('s1'), 'c1'), since, homeTo), [], "no hole on s1's disk alone");
  const home = await timeline(since, homeTo);
  assert.deepEqual([...new Set(home.recorded.map((r) => r.server))], ['s1'], 'all footage home');
  assert.deepEqual(home.gaps, [], 'and none lost');

  // A manual failover (s1 keeps running, so it is back at once and fails back on request).
  await farm.post<Failover>('/api/v1/servers/s1/failover');
  await settled('s2');
  const awayFrom = Date.now();
  await delay(8000);
  const fb = await farm.post<Failover>('/api/v1/servers/s1/failback');
  assert.equal(fb.trigger, 'failback');
  await settled('s1');
  // Kill s1 while it copies, then start it again: the job resumes where it stopped.
  await farm.waitFor(
    async () => {
      const [job] = await farm.api<CopyJob[]>('/api/v1/copybacks');
      return job?.state === 'running' && (job.progress?.segmentsDone ?? 0) >= 1 && job.progress!.percent < 80;
    },
    60_000,
    'copy-back under way',
  );
  const [before] = await farm.api<CopyJob[]>('/api/v1/copybacks');
  await farm.kill('s1');
  await delay(500);
  farm.startNode('s1');
  await farm.waitFor(
    async () => (await farm.api<CopyJob[]>('/api/v1/copybacks')).length === 0,
    90_000,
    'copy-back done after the restart',
  );
  const entry = (await failovers()).find((f) => f.id === fb.id)!;
  const [job] = entry.detail.copyBack!;
  assert.equal(job.state, 'done');
  assert.equal(job.progress!.segmentsDone, job.progress!.segments);
  assert.ok(job.progress!.segmentsDone > before.progress!.segmentsDone, 'went on after the kill');
  // Every second s2 recorded while c1 was away is now on s1's disk, byte for byte, and s2's disk holds none of it.
  clearInterval(noting);
  cameHome('the failback, resumed after a kill: all of s2 came home intact');
  const awayHoles = footageHoles(diskSegments(storage('s1'), 'c1'), awayFrom, awayFrom + 7000);
  assert.deepEqual(awayHoles, [], `the copied footage has no hole on s1's disk: ${JSON.stringify(awayHoles)}`);
  const awayTl = await timeline(awayFrom, awayFrom + 7000);
  assert.deepEqual([...new Set(awayTl.recorded.map((r) => r.server))], ['s1'], "the master's catalogue agrees");
  assert.deepEqual(awayTl.gaps, [], `the copied footage has no hole: ${JSON.stringify(awayTl.gaps)}`);
  console.log(
    `# copy-back of ${job.progress!.segments} segments (${job.progress!.bytesDone} bytes) resumed after a kill at ${before.progress!.segmentsDone}`,
  );
});
