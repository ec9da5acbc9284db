// bench:recorder — records C simulated cameras on one recording server for T seconds and measures
// its CPU (the node process apart from its ffmpeg children), memory, and the worst loss over K
// SIGKILLs (RPO, from the recovered index). Prints one JSON object as its last line.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { LocalIndex } from '../src/storage/local-index.ts';
import { procStat, childrenOf } from './proc-stats.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '20' },
    kills: { type: 'string', default: '3' },
    size: { type: 'string', default: '640x360' },
    fps: { type: 'string', default: '15' },
  },
});
const C = Number(values.cameras);
const T = Number(values.seconds);
const K = Number(values.kills);
const cams = Array.from({ length: C }, (_, i) => `b${i + 1}`);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-rec-'));
const farm = new LocalFarm({ dir, farmKey: newFarmKey(), masterPort: 28580 });
const rtsp = 28654;

try {
  await farm.startSim(rtsp, cams, ['--size', values.size!, '--fps', values.fps!]);
  await farm.startMaster({
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: 2000,
      FarmHealthStartDelayMs: 5000,
      StatusIntervalMs: 500,
    },
    groups: [{ id: 1, redundancy: false }],
    servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: 28245 }],
    cameras: cams.map((id) => ({ id, url: `rtsp://127.0.0.1:${rtsp}/${id}`, server: 's1' })),
  });
  const recording = async () =>
    (await farm.api<{ recording: string }[]>('/api/v1/cameras')).every((c) => c.recording === 'recording');
  farm.startNode('s1');
  await farm.waitFor(recording, 90_000, 'all cameras recording');
  await delay(3000); // past start-up work (recovery, first segments)

  const nodePid = farm.pids().s1!;
  const sample = () => {
    const kids = childrenOf(nodePid)
      .map((p) => procStat(p))
      .filter((s) => s !== undefined);
    const node = procStat(nodePid)!;
    return {
      node: node.cpuS,
      ffmpeg: kids.reduce((a, k) => a + k.cpuS, 0),
      rssMb: node.rssMb + kids.reduce((a, k) => a + k.rssMb, 0),
      nodeRss: node.rssMb,
      kids: kids.length,
    };
  };
  const a = sample();
  await delay(T * 1000);
  const b = sample();
  if (b.kids !== C) throw new Error(`expected ${C} ffmpeg children, saw ${b.kids}`);
  const nodeCpu = (b.node - a.node) / T;
  const ffmpegCpu = (b.ffmpeg - a.ffmpeg) / T;

  // RPO: kill -9 the server mid-recording, restart it, and read the loss from the recovered index.
  const rpo: number[] = [];
  for (let k = 0; k < K; k++) {
    await delay(2000 + 337 * k); // land at different points of a segment
    const killedAt = Date.now();
    await farm.kill('s1');
    farm.startNode('s1');
    // The master still holds the killed process's last status: wait for footage the new one recorded.
    const restartedAt = Date.now();
    const recordedSince = async () => {
      for (const cam of cams) {
        const tl = await farm.api<{ intervals: { endMs: number }[] }>(
          `/api/v1/cameras/${cam}/timeline?from=${killedAt - 60_000}&to=${Date.now() + 60_000}`,
        );
        if (!tl.intervals.some((i) => i.endMs > restartedAt + 1000)) return false;
      }
      return true;
    };
    await farm.waitFor(recordedSince, 90_000, 'recording after restart');
    const index = new LocalIndex(join(dir, 'nodes', 's1', 'index.sqlite'));
    try {
      for (const cam of cams) {
        const before = index.list(cam, killedAt - 60_000, killedAt).filter((s) => s.startMs < killedAt);
        rpo.push(killedAt - Math.max(...before.map((s) => s.endMs)));
      }
    } finally {
      index.close();
    }
    console.error(`kill ${k + 1}/${K}: loss per camera ${rpo.slice(-C).join(', ')} ms`);
  }

  const out = {
    cameras: C,
    seconds: T,
    stream: `${values.size}@${values.fps}`,
    node_cpu_per_camera: +(nodeCpu / C).toFixed(5),
    ffmpeg_cpu_per_camera: +(ffmpegCpu / C).toFixed(5),
    overhead_ratio: +(nodeCpu / ffmpegCpu).toFixed(3),
    rss_mb_per_camera: +(b.rssMb / C).toFixed(1),
    node_rss_mb: +b.nodeRss.toFixed(1),
    rpo_ms_max: Math.max(...rpo),
    rpo_samples: rpo.length,
  };
  console.log(JSON.stringify(out));
} finally {
  await farm.close();
  rmSync(dir, { recursive: true, force: true });
}
