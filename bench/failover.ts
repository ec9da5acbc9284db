// bench:failover — runs the crash scenario N times on real processes and prints one JSON object.
// Each run: simulated cameras, a master, group 1 (s1, s2 active with two cameras each; s3 the
// policy's failover server); record, kill -9 s1, wait until its cameras record elsewhere.
// Detection = failover confirmation - kill time; gap = largest hole in each moved camera's footage
// over the run's range, read from the frames in the files of every server (test/support/
// disk-footage.ts: each frame's time from its file's name and its pts), footage missing at either
// end of the range included: a camera that never records again scores the rest of the range.
// api_gap = the same from the master's timeline (its intervals, the same range and ends): when the
// two differ by more than 200 ms in a run, the record and the disks disagree, and the bench says so
// on stderr and exits 1 (the JSON line still last on stdout). frame_skew = the largest difference
// between two servers' times of one camera frame (matched by picture) where both recorded it.
//   --policy spare|standby|hot|distribute   the group's policy (s3: spare / failover server / hot
//                                            standby of s1 / one more server, maxCameras 1)
//   --planned                                drain s1 and resume it instead of a crash (make-before-
//                                            break both ways); also measures copy-back against cp.
//   --runs N, --record-s S, --missed-ms MS, --copyback-mb MB
//   --master-port, --rtsp-port, --udp-port   loopback ports (defaults 28480, 28554, 28045..28047)
//   --keep                                   leave each run's farm folder (its servers' files) in place
//   --master-crash                           two masters on PostgreSQL (VIGIL_DB, default the local
//                                            server; masters on --master-port and the next one, the
//                                            CLI's lease): kill -9 the leader and s1 at one instant;
//                                            measures master_takeover (kill → master2 says it leads),
//                                            the gap from the files, and double owners after it settles
//                                            (exit 1 if any); bench/failover-master-crash.ts
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { EXAMPLE_CAMERAS } from '../src/farm/example-farm.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { percentile } from './stats.ts';
import { measureCopyBack } from './copyback.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';
import {
  farmSegments,
  footageHoles,
  frameTimeAgreement,
  localFarmStorage,
  type DiskSegment,
} from '../test/support/disk-footage.ts';
import { failoverFarm, type FailoverPolicy } from './failover-farm.ts';
import { masterCrashBench } from './failover-master-crash.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'missed-ms': { type: 'string', default: '2000' },
    'record-s': { type: 'string', default: '8' },
    policy: { type: 'string', default: 'spare' },
    planned: { type: 'boolean', default: false },
    'copyback-mb': { type: 'string', default: '200' },
    'master-port': { type: 'string', default: '28480' },
    'rtsp-port': { type: 'string', default: '28554' },
    'udp-port': { type: 'string', default: '28045' },
    keep: { type: 'boolean', default: false },
    'master-crash': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm run bench:failover -- [--policy spare|standby|hot|distribute] [--planned | --master-crash] [--runs N]\n' +
      '  [--record-s S] [--missed-ms MS] [--copyback-mb MB] [--master-port P] [--rtsp-port P] [--udp-port P] [--keep]\n' +
      "  --keep: leave each run's farm folder (data dirs, logs) and print where\n" +
      '  --master-crash: kill -9 the leading master (of two, on PostgreSQL: VIGIL_DB) and s1 at one instant',
  );
  process.exit(0);
}
const policy = values.policy as FailoverPolicy;
if (!['spare', 'standby', 'hot', 'distribute'].includes(policy))
  throw new Error(`--policy: spare, standby, hot or distribute, not ${policy}`);
const planned = values.planned;
if (planned && values['master-crash']) throw new Error('--planned and --master-crash: one or the other');
const runs = Number(values.runs);
const missedMs = Number(values['missed-ms']);
const recordMs = Number(values['record-s']) * 1000;
/** How far the API's gap may be from the frames' before the bench calls the record untrue. */
const AGREEMENT_MS = 200;

interface Failover {
  server: string;
  startedAt: number;
  detail: { confirmedAt: number; moves: { camera: string }[] };
}

interface RunResult {
  detectionMs: number | null;
  /** From the frames in the files. */
  gapMs: number;
  /** From the master's timeline. */
  apiGapMs: number;
  /** The largest time difference of one frame between two servers' files; null when no frame is in two. */
  frameSkewMs: number | null;
  falseFailovers: number;
}

async function oneRun(i: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: Number(values['master-port']) });
  const rtsp = Number(values['rtsp-port']);
  try {
    const config = failoverFarm({ policy, rtspPort: rtsp, udpBasePort: Number(values['udp-port']), missedMs });
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
    const moved = EXAMPLE_CAMERAS.s1;
    // A run whose cameras left s1 before the kill (a failover while the farm started) measures no
    // failover of s1: it fails, rather than scoring a gap of 0.
    const away = (await cams()).filter((c) => moved.includes(c.id) && c.currentServer !== 's1');
    if (away.length)
      throw new Error(`before the kill, ${away.map((c) => `${c.id} on ${c.currentServer}`).join(', ')}, not on s1`);
    const killedAt = Date.now();
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
    // The last 1.5 s may still be in a recorder's staging.
    const to = Date.now() - 1500;
    let gapMs = 0;
    let apiGapMs = 0;
    let frameSkewMs: number | null = null;
    // s1, the cameras' home where a copy-back brings footage, is read last: a file released
    // elsewhere meanwhile is already there.
    const roots = localFarmStorage(dir).sort((a, b) => Number(a.includes('/s1/')) - Number(b.includes('/s1/')));
    for (const id of moved) {
      const tl = await farm.api<{ intervals: { startMs: number; endMs: number }[] }>(
        `/api/v1/cameras/${id}/timeline?from=${since}&to=${to}`,
      );
      const segments = farmSegments(roots, id);
      gapMs = Math.max(gapMs, ...footageHoles(segments, since, to).map((h) => h.ms));
      apiGapMs = Math.max(apiGapMs, ...footageHoles(tl.intervals, since, to).map((h) => h.ms));
      const skew = largestSkew(segments);
      if (skew) {
        frameSkewMs = Math.max(frameSkewMs ?? 0, skew.ms);
        console.error(
          `  ${id}: ${skew.frames} frames recorded by two servers; the most apart: ${skew.ms} ms (${skew.a} ${new Date(skew.aMs).toISOString()}, ${skew.b} ${new Date(skew.bMs).toISOString()})`,
        );
      }
    }
    // A planned handover has nothing to detect.
    const result: RunResult = {
      detectionMs: planned ? null : fo.detail.confirmedAt - killedAt,
      gapMs: Math.round(gapMs),
      apiGapMs: Math.round(apiGapMs),
      frameSkewMs,
      falseFailovers: failovers.filter((f) => !ours.includes(f)).length,
    };
    console.error(`run ${i + 1}/${runs}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await farm.close();
    if (values.keep) console.error(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

interface Skew {
  ms: number;
  a: string;
  aMs: number;
  b: string;
  bMs: number;
  /** Frames found in two recorders' files. */
  frames: number;
}

/** The largest |difference| between two recorders' times of one frame, over every pair of recorders; undefined when no frame is in two. */
function largestSkew(segments: DiskSegment[]): Skew | undefined {
  const by = new Map<string, DiskSegment[]>();
  for (const s of segments) by.set(s.recordedBy, [...(by.get(s.recordedBy) ?? []), s]);
  const ids = [...by.keys()];
  let most: Skew | undefined;
  let frames = 0;
  for (let a = 0; a < ids.length; a++)
    for (let b = a + 1; b < ids.length; b++)
      for (const p of frameTimeAgreement(by.get(ids[a])!, by.get(ids[b])!)) {
        frames++;
        const ms = Math.round(Math.abs(p.diffMs));
        if (!most || ms > most.ms) most = { ms, a: ids[a], aMs: p.aMs, b: ids[b], bMs: p.bMs, frames: 0 };
      }
  return most && { ...most, frames };
}

/** The crash (or planned) runs, then their figures as one JSON line. */
async function crashBench(): Promise<void> {
  const results: RunResult[] = [];
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
  const apiGaps = results.map((r) => r.apiGapMs);
  const untrue = results.filter((r) => Math.abs(r.gapMs - r.apiGapMs) > AGREEMENT_MS);
  const skews = results.flatMap((r) => (r.frameSkewMs === null ? [] : [r.frameSkewMs]));
  if (untrue.length) {
    process.exitCode = 1;
    console.error(
      `FAIL: in ${untrue.length} of ${results.length} runs the master's timeline and the frames on disk disagree by more than ${AGREEMENT_MS} ms: ` +
        untrue.map((r) => `gap ${r.gapMs} ms on disk, ${r.apiGapMs} ms in the API`).join('; '),
    );
  }
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
      api_gap_ms_p50: percentile(apiGaps, 50),
      api_gap_ms_p95: percentile(apiGaps, 95),
      gaps_ms: gaps,
      api_gaps_ms: apiGaps,
      disagreeing_runs: untrue.length,
      frame_skew_ms_max: skews.length ? Math.max(...skews) : null,
      false_failovers: results.reduce((a, r) => a + r.falseFailovers, 0),
      gap_bound_ms: policy === 'hot' || planned ? 1000 : missedMs + 3000,
      ...copy,
    }),
  );
}

if (values['master-crash'])
  process.exitCode = await masterCrashBench({
    runs,
    policy,
    missedMs,
    recordMs,
    masterPort: Number(values['master-port']),
    rtspPort: Number(values['rtsp-port']),
    udpBasePort: Number(values['udp-port']),
    keep: values.keep,
  });
else await crashBench();
