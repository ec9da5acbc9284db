// bench:startup — how fast a recording server starts: `vigil node` from the sources through tsx (as
// before the build) and compiled (bin/vigil.js, dist/), in one run against one master, so the ratio
// is fair. Each start gets a fresh data dir (with the identity the first start enrolled); wall time runs from spawn to its first status at the
// master (the master's lastStatusAt), CPU is the node's user + system seconds (/proc) at that moment.
// The two alternate (ABAB, then BABA) after one warm-up start each (tsx's cache, the page cache).
// Prints one JSON object as its last line.
//   --runs N   measured starts of each (default 10)
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm, VIGIL_BIN, type VigilCode } from '../src/farm/local-farm.ts';
import { procStat } from './proc-stats.ts';
import { percentile } from './stats.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';
import { identityDir } from '../src/node/node-identity.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);
const KEY = newFarmKey();
const RTSP_PORT = 28754;
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-startup-'));
const farm = new LocalFarm({ dir, farmKey: KEY, masterPort: 28780, code: 'compiled' });
const enrolledData = join(dir, 'nodes', 'sources-0');

interface Start {
  wallMs: number;
  cpuS: number;
  rssMb: number;
}

/** Starts `vigil node --id s1` running `code`, measures it at its first status at the master, stops it. */
async function startNode(code: VigilCode, n: number, join_?: string): Promise<Start> {
  const logFile = join(dir, `s1-${code}-${n}.log`);
  const fd = openSync(logFile, 'a');
  const data = join(dir, 'nodes', `${code}-${n}`);
  // One enrollment (the first start's, not measured); every later start has that identity already.
  if (!join_) cpSync(identityDir(enrolledData), identityDir(data), { recursive: true });
  const spawnedAt = Date.now();
  const child = spawn(
    process.execPath,
    [
      VIGIL_BIN[code],
      'node',
      '--id',
      's1',
      '--master',
      farm.masterUrl,
      '--data',
      data,
      ...(join_ ? ['--join', join_] : []),
    ],
    // No farm key: it is the master's; the node's credential is its enrolled identity.
    { stdio: ['ignore', fd, fd], env: process.env },
  );
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const end = spawnedAt + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`node (${code}) exited while starting:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      if (Date.now() > end) throw new Error(`node (${code}): no status at the master within 30 s`);
      const servers = await farm.api<{ id: string; lastStatusAt: number | null }[]>('/api/v1/servers');
      const at = servers.find((s) => s.id === 's1')?.lastStatusAt ?? null;
      if (at !== null && at >= spawnedAt) {
        const stat = procStat(child.pid!);
        if (!stat) throw new Error(`node (${code}) gone at its first status`);
        return { wallMs: at - spawnedAt, cpuS: stat.cpuS, rssMb: stat.rssMb };
      }
      await delay(10); // the node's CPU is read at most ~10 ms (and one API call) after its first status
    }
  } finally {
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), delay(8000).then(() => false)]);
    if (!stopped) child.kill('SIGKILL');
    await exited;
  }
}

/** p50 and p95 of each measure over starts. */
function summary(xs: Start[]) {
  const of = (k: keyof Start, digits: number) => {
    const v = xs.map((x) => x[k]);
    return { p50: +percentile(v, 50).toFixed(digits), p95: +percentile(v, 95).toFixed(digits) };
  };
  return { wall_ms: of('wallMs', 0), cpu_s: of('cpuS', 3), rss_mb: of('rssMb', 1) };
}

try {
  await farm.startSim(RTSP_PORT, ['b1']);
  await farm.startMaster({
    settings: { StatusIntervalMs: 500 },
    groups: [{ id: 1, redundancy: false }],
    servers: [{ id: 's1', group: 1, host: '127.0.0.1', udpPort: 28745 }],
    cameras: [{ id: 'b1', url: `rtsp://127.0.0.1:${RTSP_PORT}/b1`, server: 's1' }],
  });
  const starts: Record<VigilCode, Start[]> = { sources: [], compiled: [] };
  const { joinToken } = await farm.post<{ joinToken: string }>('/api/v1/servers/s1/enroll');
  await startNode('sources', 0, joinToken); // warm-up, and the one enrollment
  await startNode('compiled', 0); // warm-up
  for (let i = 1; i <= runs; i++) {
    const order: VigilCode[] = i % 2 ? ['sources', 'compiled'] : ['compiled', 'sources'];
    for (const code of order) {
      const s = await startNode(code, i);
      starts[code].push(s);
      console.error(`start ${i}/${runs} ${code}: ${s.wallMs} ms to first status, ${s.cpuS.toFixed(2)} CPU s`);
    }
  }
  const sources = summary(starts.sources);
  const compiled = summary(starts.compiled);
  console.log(
    JSON.stringify({
      runs,
      warmup: 1,
      sources,
      compiled,
      ratio_wall_ms_p50: +(sources.wall_ms.p50 / compiled.wall_ms.p50).toFixed(2),
      ratio_cpu_s_p50: +(sources.cpu_s.p50 / compiled.cpu_s.p50).toFixed(2),
    }),
  );
} finally {
  await farm.close();
  rmSync(dir, { recursive: true, force: true });
}
