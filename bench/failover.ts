// bench:failover — runs the crash scenario N times on real processes and prints one JSON object.
// Each run: simulated cameras, a master, group 1 (s1, s2 active; s3 redundant); record, kill -9 s1,
// wait until its cameras record on s3. Detection = failover confirmation - kill time; gap = largest
// hole in each moved camera's timeline (union over servers, from recorded media timestamps).
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { exampleFarm, EXAMPLE_CAMERAS } from '../src/farm/example-farm.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'missed-ms': { type: 'string', default: '2000' },
    'record-s': { type: 'string', default: '8' },
  },
});
const runs = Number(values.runs);
const missedMs = Number(values['missed-ms']);
const recordMs = Number(values['record-s']) * 1000;

interface Failover { server: string; startedAt: number; detail: { confirmedAt: number; moves: { camera: string }[] } }

async function oneRun(i: number): Promise<{ detectionMs: number; gapMs: number; falseFailovers: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const farm = new LocalFarm({ dir, farmKey: 'bench-key', masterPort: 28480 });
  const rtsp = 28554;
  try {
    const config = exampleFarm({
      simUrl: (id) => `rtsp://127.0.0.1:${rtsp}/${id}`,
      udpBasePort: 28045,
      settings: { AliveIntervalMs: 250, FarmHealthMissedUdpMs: missedMs, FarmHealthStartDelayMs: 5000, StatusIntervalMs: 250 },
    });
    config.servers = config.servers.filter((s) => s.group === 1);
    config.cameras = config.cameras.filter((c) => config.servers.some((s) => s.id === c.server));
    config.groups = config.groups.filter((g) => g.id === 1);
    await farm.startSim(rtsp, config.cameras.map((c) => c.id));
    await farm.startMaster(config);
    for (const s of config.servers) farm.startNode(s.id);
    const cams = () => farm.api<{ id: string; currentServer: string; recording: string }[]>('/api/v1/cameras');
    await farm.waitFor(async () => (await cams()).every((c) => c.recording === 'recording'), 60_000, 'all recording');
    const since = Date.now();
    await delay(recordMs);
    const killedAt = Date.now();
    await farm.kill('s1');
    const moved = EXAMPLE_CAMERAS.s1;
    await farm.waitFor(async () => (await cams()).filter((c) => moved.includes(c.id)).every((c) => c.currentServer === 's3' && c.recording === 'recording'), 60_000, 'failover');
    await delay(3000);
    const failovers = await farm.api<Failover[]>('/api/v1/failovers');
    const fo = failovers.find((f) => f.server === 's1' && f.startedAt >= killedAt);
    if (!fo) throw new Error('no failover logged for s1');
    let gapMs = 0;
    for (const id of moved) {
      const tl = await farm.api<{ gaps: { ms: number }[] }>(`/api/v1/cameras/${id}/timeline?from=${since}&to=${Date.now() - 1500}`);
      gapMs = Math.max(gapMs, ...tl.gaps.map((g) => g.ms));
    }
    const result = { detectionMs: fo.detail.confirmedAt - killedAt, gapMs, falseFailovers: failovers.filter((f) => f !== fo).length };
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
const det = results.map((r) => r.detectionMs);
const gaps = results.map((r) => r.gapMs);
console.log(
  JSON.stringify({
    runs,
    failed_runs: failedRuns,
    missed_udp_ms: missedMs,
    detection_ms_p50: percentile(det, 50),
    detection_ms_p95: percentile(det, 95),
    gap_ms_p50: percentile(gaps, 50),
    gap_ms_p95: percentile(gaps, 95),
    false_failovers: results.reduce((a, r) => a + r.falseFailovers, 0),
    gap_bound_ms: missedMs + 3000,
  }),
);
