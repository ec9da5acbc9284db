// bench:copyback-recording — does recording keep up while a failback copy-back runs on the same
// server? A home server (this process: real Recorder, real ffmpeg per simulated camera, one storage
// path) records C cameras through three phases of T seconds: idle, a copy-back at the farm's rate
// limit (CopyBackMaxBytesPerSec, default 50 MB/s), and a copy-back with no limit. The source server
// is a child process (bench/copyback-source.ts). Per phase: recorded media seconds per wall second
// per camera, and the commit lag (segment end to indexed) p50/p95/max. Prints one JSON object last.
import { parseArgs } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { Recorder } from '../src/recorder/recorder.ts';
import { LocalIndex } from '../src/storage/local-index.ts';
import { singlePathSink } from '../test/support/test-sink.ts';
import { CopyBack, indexLocator } from '../src/node/copy-back.ts';
import { Settings } from '../src/config/farm-config.ts';
import { createLogger } from '../src/lib/log.ts';
import { homeTls, startSource } from './copyback.ts';
import { percentile } from './stats.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '15' },
    'rate-mb': { type: 'string' },
  },
});
const C = Number(values.cameras);
const T = Number(values.seconds);
const rate =
  values['rate-mb'] !== undefined
    ? Number(values['rate-mb']) * 1e6
    : (Settings.properties.CopyBackMaxBytesPerSec.default as number);
const RTSP_PORT = 28854;
const SEGMENT_BYTES = 1_000_000;

interface Sample {
  at: number;
  lagMs: number;
  mediaMs: number;
}

interface Phase {
  seconds: number;
  media_s_per_s: number;
  lag_ms_p50: number;
  lag_ms_p95: number;
  lag_ms_max: number;
  copy_mb_s: number | null;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-cbrec-'));
const log = createLogger('bench', process.env.BENCH_LOG ?? 'silent');
const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: 0 });
const cams = Array.from({ length: C }, (_, i) => `r${i + 1}`);
const samples: Sample[] = [];
const root = join(dir, 'home', 'storage');
mkdirSync(root, { recursive: true });
const index = new LocalIndex(join(dir, 'home', 'index.sqlite'));
const { sink, paths } = await singlePathSink(root, 'home', index, log);
const recorder = new Recorder({
  nodeId: 'home',
  stagingRoot: join(dir, 'home', 'staging'),
  sink,
  log,
  // Only the recorders' segments come here; copy-back commits through the sink directly.
  onSegment: (seg) => samples.push({ at: Date.now(), lagMs: Date.now() - seg.endMs, mediaMs: seg.endMs - seg.startMs }),
});
const sources: Awaited<ReturnType<typeof startSource>>[] = [];

/** Recording figures of the samples indexed in [from, to). */
function phase(from: number, to: number, copiedBytes: number | null): Phase {
  const s = samples.filter((x) => x.at >= from && x.at < to);
  const seconds = (to - from) / 1000;
  const lags = s.map((x) => x.lagMs);
  return {
    seconds: Math.round(seconds * 10) / 10,
    media_s_per_s: Math.round((s.reduce((a, x) => a + x.mediaMs, 0) / 1000 / seconds / C) * 1000) / 1000,
    lag_ms_p50: percentile(lags, 50),
    lag_ms_p95: percentile(lags, 95),
    lag_ms_max: Math.max(...lags),
    copy_mb_s: copiedBytes === null ? null : Math.round((copiedBytes / 1e6 / seconds) * 10) / 10,
  };
}

/** Runs one copy-back job for up to T seconds (it may finish first); the phase is the time it ran. */
async function copying(id: string, maxBytesPerSec: number, mb: number): Promise<Phase> {
  const src = await startSource(join(dir, id), Math.ceil(mb), SEGMENT_BYTES);
  sources.push(src);
  const copyBack = new CopyBack({
    dataDir: join(dir, 'home', id),
    stagingDir: join(dir, 'home', 'copy-staging'),
    sink,
    tls: await homeTls(),
    log,
    maxBytesPerSec,
    locate: indexLocator({ index, nodeId: 'home', roots: () => [root] }),
  });
  const from = Date.now();
  await copyBack.start({
    id,
    camera: 'cam',
    stream: 0,
    source: { server: 'src', url: src.url },
    fromMs: src.fromMs,
    toMs: src.toMs,
  });
  let bytes = 0;
  while (Date.now() - from < T * 1000) {
    const st = copyBack.status().find((j) => j.id === id)!;
    if (st.state === 'failed') throw new Error(`copy-back failed: ${st.error}`);
    bytes = st.bytesDone;
    if (st.state === 'done') break;
    await delay(20);
  }
  const to = Date.now();
  await copyBack.close();
  return phase(from, to, bytes);
}

try {
  await farm.startSim(RTSP_PORT, cams);
  await recorder.apply(cams.map((id) => ({ id, url: `rtsp://127.0.0.1:${RTSP_PORT}/${id}` })));
  await farm.waitFor(
    () => new Set(index.listRecorded(cams[0], 0, Number.MAX_SAFE_INTEGER, 0).map((s) => s.id)).size >= 3,
    60_000,
    'recording',
  );
  await delay(3000); // past start-up
  const t = Date.now();
  await delay(T * 1000);
  const idle = phase(t, Date.now(), null);
  // Enough footage for the whole phase at the limit; the unlimited copy takes what it can in T.
  const limited = await copying('limited', rate, ((rate || 200e6) * T) / 1e6);
  await delay(3000); // writeback of the last copy settles
  const unlimited = await copying('unlimited', 0, 2000);
  const ratio = (p: Phase) => Math.round((p.media_s_per_s / idle.media_s_per_s) * 1000) / 1000;
  console.log(
    JSON.stringify({
      cameras: C,
      rate_limit_mb_s: rate / 1e6,
      idle,
      copying_limited: limited,
      copying_unlimited: unlimited,
      recorded_ratio_limited: ratio(limited),
      recorded_ratio_unlimited: ratio(unlimited),
      lag_p95_ratio_limited: Math.round((limited.lag_ms_p95 / idle.lag_ms_p95) * 100) / 100,
    }),
  );
} finally {
  await recorder.close();
  for (const s of sources) await s.close();
  await farm.close();
  await paths.close();
  index.close();
  rmSync(dir, { recursive: true, force: true });
}
