// bench:failover — runs the crash scenario N times on real processes and prints one JSON object.
// Each run: simulated cameras, a master, group 1 (s1, s2 active with two cameras each; s3 the
// policy's failover server); record, kill -9 s1, wait until its cameras record elsewhere.
// Detection = failover confirmation - kill time; gap = largest hole in each moved camera's
// timeline (union over servers, from recorded media timestamps).
//   --policy spare|standby|hot|distribute   the group's policy (s3: spare / failover server / hot
//                                            standby of s1 / one more server, maxCameras 1)
//   --planned                                drain s1 and resume it instead of a crash (make-before-
//                                            break both ways); also measures copy-back against cp.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { exampleFarm, EXAMPLE_CAMERAS } from '../src/farm/example-farm.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { percentile } from './stats.ts';
import { measureCopyBack } from './copyback.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'missed-ms': { type: 'string', default: '2000' },
    'record-s': { type: 'string', default: '8' },
    policy: { type: 'string', default: 'spare' },
    planned: { type: 'boolean', default: false },
    'copyback-mb': { type: 'string', default: '200' },
  },
});
const policy = values.policy as 'spare' | 'standby' | 'hot' | 'distribute';
if (!['spare', 'standby', 'hot', 'distribute'].includes(policy))
  throw new Error(`--policy: spare, standby, hot or distribute, not ${policy}`);
const planned = values.planned;
const runs = Number(values.runs);
const missedMs = Number(values['missed-ms']);
const recordMs = Number(values['record-s']) * 1000;

interface Failover {
  server: string;
  startedAt: number;
  detail: { confirmedAt: number; moves: { camera: string }[] };
}

async function oneRun(i: number): Promise<{ detectionMs: number | null; gapMs: number; falseFailovers: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: 28480 });
  const rtsp = 28554;
  try {
    const config = exampleFarm({
      simUrl: (id) => `rtsp://127.0.0.1:${rtsp}/${id}`,
      udpBasePort: 28045,
      settings: {
        AliveIntervalMs: 250,
        FarmHealthMissedUdpMs: missedMs,
        FarmHealthStartDelayMs: 5000,
        StatusIntervalMs: 250,
      },
    });
    config.servers = config.servers.filter((s) => s.group === 1);
    config.cameras = config.cameras.filter((c) => config.servers.some((s) => s.id === c.server));
    config.groups = [{ id: 1, policy, ...(policy === 'standby' && { failoverServers: ['s3'] }) }];
    if (policy === 'hot') config.servers.find((s) => s.id === 's3')!.hotStandbyFor = 's1';
    if (policy === 'distribute') {
      config.servers.find((s) => s.id === 's2')!.maxCameras = 3;
      config.servers.find((s) => s.id === 's3')!.maxCameras = 1;
    }
    await farm.startSim(
      rtsp,
      config.cameras.map((c) => c.id),
    );
    await farm.startMaster(config);
    for (const s of config.servers) farm.startNode(s.id);
    const cams = () => farm.api<{ id: string; currentServer: string; recording: string }[]>('/api/v1/cameras');
    await farm.waitFor(async () => (await cams()).every((c) => c.recording === 'recording'), 60_000, 'all recording');
    const since = Date.now();
    await delay(recordMs);
    const killedAt = Date.now();
    const moved = EXAMPLE_CAMERAS.s1;
    const settled = (on: (server: string) => boolean) =>
      farm.waitFor(
        async () =>
          (await cams())
            .filter((c) => moved.includes(c.id))
            .every((c) => on(c.currentServer) && c.recording === 'recording'),
        60_000,
        'cameras moved',
      );
    if (planned) {
      await farm.post('/api/v1/servers/s1/drain');
      await settled((s) => s !== 's1');
      await delay(3000);
      await farm.post('/api/v1/servers/s1/resume');
      await settled((s) => s === 's1');
    } else {
      await farm.kill('s1');
      await settled((s) => s !== 's1');
    }
    await delay(3000);
    const failovers = await farm.api<Failover[]>('/api/v1/failovers');
    const fo = failovers.find((f) => f.server === 's1' && f.startedAt >= killedAt);
    if (!fo) throw new Error('no failover logged for s1');
    const ours = failovers.filter((f) => f.server === 's1' && f.startedAt >= killedAt);
    let gapMs = 0;
    for (const id of moved) {
      const tl = await farm.api<{ gaps: { ms: number }[] }>(
        `/api/v1/cameras/${id}/timeline?from=${since}&to=${Date.now() - 1500}`,
      );
      gapMs = Math.max(gapMs, ...tl.gaps.map((g) => g.ms));
    }
    // A planned handover has nothing to detect.
    const result = {
      detectionMs: planned ? null : fo.detail.confirmedAt - killedAt,
      gapMs,
      falseFailovers: failovers.filter((f) => !ours.includes(f)).length,
    };
    console.error(`run ${i + 1}/${runs}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await farm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
let failedRuns = 0;
for (let i = 0; i < runs; i++) {
  try {
    results.push(await oneRun(i));
  } catch (err) {
    // A run that breaks is counted, not hidden, and does not cost the other runs' figures.
    failedRuns++;
    console.error(`run ${i + 1}/${runs} failed: ${(err as Error).message}`);
  }
}
const det = results.flatMap((r) => (r.detectionMs === null ? [] : [r.detectionMs]));
// Planned handovers have nothing to detect; copy-back is measured once, after the runs.
const copy = planned
  ? await measureCopyBack({ segments: Math.max(1, Math.round(Number(values['copyback-mb']))), bytes: 1_000_000 })
  : undefined;
const gaps = results.map((r) => r.gapMs);
console.log(
  JSON.stringify({
    runs,
    policy,
    planned,
    failed_runs: failedRuns,
    missed_udp_ms: missedMs,
    detection_ms_p50: planned ? null : percentile(det, 50),
    detection_ms_p95: planned ? null : percentile(det, 95),
    gap_ms_p50: percentile(gaps, 50),
    gap_ms_p95: percentile(gaps, 95),
    false_failovers: results.reduce((a, r) => a + r.falseFailovers, 0),
    gap_bound_ms: policy === 'hot' || planned ? 1000 : missedMs + 3000,
    ...copy,
  }),
);
