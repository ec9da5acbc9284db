import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm } from '../src/farm/local-farm.ts';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

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
  const planned = await timeline(since, Date.now() - 3000);
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

  // The copy-back of what s2 recorded during the drain completes: s2's footage of c1 is gone from the catalogue, the timeline has no hole.
  await farm.waitFor(
    async () => (await failovers())[1].detail.copyBack?.every((j) => j.state === 'done') === true,
    60_000,
    'copy-back after resume done',
  );
  const home = await timeline(since, Date.now() - 3000);
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
  // Every second s2 recorded while c1 was away is now on s1, and s2 holds none of it.
  const away = await timeline(awayFrom, awayFrom + 7000);
  assert.deepEqual([...new Set(away.recorded.map((r) => r.server))], ['s1']);
  assert.deepEqual(away.gaps, [], `the copied footage has no hole: ${JSON.stringify(away.gaps)}`);
  console.log(
    `# copy-back of ${job.progress!.segments} segments (${job.progress!.bytesDone} bytes) resumed after a kill at ${before.progress!.segmentsDone}`,
  );
});
