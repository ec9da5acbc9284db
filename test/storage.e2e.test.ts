import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm } from '../src/farm/local-farm.ts';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { mountTmpfs } from './support/tmpfs.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';
import { farmSegments, footageHoles } from './support/disk-footage.ts';

// Fixed loopback ports away from the other end-to-end tests (18480+, 18580+, 18680+).
const MASTER_PORT = 18380;
const RTSP_PORT = 18454;
const UDP_PORT = 18345;
const MB = 1024 * 1024;
const FARM_KEY = newFarmKey();

interface StoragePath {
  path: string;
  healthy: boolean;
  read: boolean;
}
interface Server {
  id: string;
  storage: { availability: string; allFailed: boolean; paths: StoragePath[] } | null;
  recordingFailed: boolean;
}
interface Camera {
  id: string;
  recording: string;
  streams: { recording: string }[];
}
interface Timeline {
  intervals: { startMs: number; endMs: number }[];
  gaps: { startMs: number; endMs: number; ms: number }[];
}

/** Segment files under a storage path, relative to it. */
function files(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

function codecs(file: string): string[] {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=index,codec_name', '-of', 'json', file],
    { encoding: 'utf8', timeout: 10_000 },
  );
  return (JSON.parse(out) as { streams: { codec_name: string }[] }).streams.map((x) => x.codec_name).sort();
}

function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'ignore' });
}

test('two storage paths in redundant mode, main + sub stream with audio; one path fails, then both, and nothing is lost', {
  timeout: 180_000,
}, async (t) => {
  // The farm first: after-hooks run in the order they were added, and its servers must stop before
  // their storage is unmounted, or they write on into the bare mount points.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-storage-e2e-'));
  const farm = new LocalFarm({ dir, farmKey: FARM_KEY, masterPort: MASTER_PORT });
  t.after(async () => {
    await farm.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Unmounting needs the paths writable again if a step failed midway: added before the mounts' own
  // hooks, so it runs before them.
  const mounts: string[] = [];
  t.after(() => {
    for (const d of mounts) {
      try {
        remount(d, 'rw');
      } catch {
        // already unmounted
      }
    }
  });
  const a = mountTmpfs(t, 32 * MB);
  const b = mountTmpfs(t, 32 * MB);
  mounts.push(a, b);
  const config: FarmConfigInput = {
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: 1500,
      FarmHealthStartDelayMs: 12_000,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1, redundancy: false }],
    servers: [
      {
        id: 's1',
        group: 1,
        host: '127.0.0.1',
        udpPort: UDP_PORT,
        storage: { paths: `${a};*${b}`, availability: 'redundant', minFreeBytes: 2 * MB },
      },
    ],
    cameras: [
      {
        id: 'm1',
        url: `rtsp://127.0.0.1:${RTSP_PORT}/m1`,
        server: 's1',
        streams: [{ url: `rtsp://127.0.0.1:${RTSP_PORT}/m1/sub` }],
      },
    ],
  };
  await farm.startSim(RTSP_PORT, ['m1'], ['--audio', '--sub']);
  await farm.startMaster(config);
  farm.startNode('s1');
  const server = async () => (await farm.api<Server[]>('/api/v1/servers'))[0];
  const timeline = (stream: number, from: number, to: number) =>
    farm.api<Timeline>(`/api/v1/cameras/m1/timeline?from=${from}&to=${to}&stream=${stream}`);
  const recordedMs = async (stream: number) =>
    (await timeline(stream, Date.now() - 600_000, Date.now())).intervals.reduce((n, i) => n + i.endMs - i.startMs, 0);

  // Both streams are recorded, each segment on both paths, the main stream with its audio.
  await farm.waitFor(
    async () => (await recordedMs(0)) > 4000 && (await recordedMs(1)) > 4000,
    60_000,
    'both streams recorded',
  );
  const onA = files(a);
  const onB = files(b);
  assert.ok(
    onA.some((f) => f.startsWith('m1/')) && onA.some((f) => f.startsWith('m1~1/')),
    'main and sub stream each in their own tree',
  );
  const both = onA.filter((f) => onB.includes(f));
  assert.ok(
    both.length >= onA.length - 2,
    `redundant mode: every segment on both paths (${both.length} of ${onA.length})`,
  );
  assert.deepEqual(codecs(join(a, both.find((f) => f.startsWith('m1/'))!)), ['aac', 'h264']);
  assert.deepEqual(codecs(join(a, both.find((f) => f.startsWith('m1~1/'))!)), ['aac', 'h264']);
  let s = await server();
  assert.deepEqual(
    s.storage?.paths.map((p) => [p.path, p.healthy, p.read]),
    [
      [a, true, false],
      [b, true, true],
    ],
  );

  // Bad storage settings are refused whole, with one message naming every problem, including the
  // path only the recording server can tell does not take writes; the farm keeps its settings.
  const before = await farm.api<unknown>('/api/v1/config');
  const bad = structuredClone(config) as any;
  bad.servers[0].storage = { paths: `relative/path;*${b};/nonexistent-vigil-disk`, minFreePercent: 120 };
  bad.cameras[0].storage = { maxStorageDays: '3;x' };
  const res = await farm.fetch('/api/v1/config', {
    method: 'PUT',
    body: JSON.stringify(bad),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, 400);
  const problems = ((await res.json()) as { error: { details: string[] } }).error.details;
  assert.deepEqual(
    [...problems].sort(),
    [
      '/servers/0/storage/paths: "relative/path" is not an absolute path',
      '/servers/0/storage/minFreePercent: Expected number to be less or equal to 100',
      '/cameras/0/storage/maxStorageDays: "x" (entry 2) is not a whole number of days',
      '/servers/0/storage/paths: on server s1, /nonexistent-vigil-disk: does not exist',
    ].sort(),
  );
  assert.deepEqual(await farm.api<unknown>('/api/v1/config'), before, 'nothing applied');
  const cams = await farm.api<Camera[]>('/api/v1/cameras');
  assert.equal(cams[0].recording, 'recording');
  assert.equal(cams[0].streams[0].recording, 'recording');

  // One path fails: recording goes on to the other, the master shows which.
  const aFailedAt = Date.now();
  remount(a, 'ro');
  await farm.waitFor(
    async () => (await server()).storage?.paths[0].healthy === false,
    15_000,
    'path a reported failed',
  );
  const bBefore = files(b).length;
  await farm.waitFor(() => files(b).length >= bBefore + 4, 15_000, 'segments go on to path b');
  s = await server();
  assert.equal(s.storage?.allFailed, false);

  // Every path fails: the server reports it; segments wait in staging.
  remount(b, 'ro');
  await farm.waitFor(async () => (await server()).storage?.allFailed === true, 15_000, 'all storage failed reported');
  const allFailedAt = Date.now();
  // Held past FarmHealthMissedUdpMs, it is a failover trigger; group 1 has redundancy off, so the
  // failover is logged and skipped: the cameras stay, and their segments wait in staging.
  await farm.waitFor(
    async () =>
      (await farm.api<{ trigger: string }[]>('/api/v1/failovers')).some((f) => f.trigger === 'storage-failed'),
    15_000,
    'a storage-failed failover',
  );
  await delay(Math.max(0, allFailedAt + 3000 - Date.now()));
  // Both come back: the waiting segments are stored, the timeline has no hole over the outage.
  remount(a, 'rw');
  remount(b, 'rw');
  await farm.waitFor(async () => (await server()).storage?.allFailed === false, 20_000, 'storage back');
  await farm.waitFor(
    async () => (await farm.api<{ state: string }[]>('/api/v1/servers'))[0].state === 'up',
    10_000,
    'the server up again',
  );
  const fos =
    await farm.api<{ server: string; trigger: string; status: string; detail: { reason?: string } }[]>(
      '/api/v1/failovers',
    );
  assert.deepEqual(
    fos.map((f) => [f.server, f.trigger, f.status, f.detail.reason]),
    [['s1', 'storage-failed', 'skipped', 'redundancy is off in group 1']],
  );
  const backAt = Date.now();
  const from = aFailedAt - 2000;
  const to = backAt + 2000;
  for (const stream of [0, 1])
    await farm.waitFor(
      async () => {
        const tl = await timeline(stream, from, to);
        return tl.intervals.length > 0 && tl.intervals.at(-1)!.endMs >= to;
      },
      20_000,
      `recording of stream ${stream} after the outage reported`,
    );
  // Nothing lost, as the frames in the files on both paths show it: every stream, no hole longer
  // than the continuity tolerance (JITTER_MS) anywhere over the outage, a jump inside a file included.
  const spans = `${allFailedAt - aFailedAt} ms with one path, ${backAt - allFailedAt} ms with none`;
  for (const stream of [0, 1]) {
    const onDisk = farmSegments([a, b], 'm1', stream);
    const holes = footageHoles(onDisk, from, to);
    t.diagnostic(
      `stream ${stream}: ${onDisk.length} files; holes in the frames: ${holes.map((h) => h.ms).join(' ') || 'none'}`,
    );
    assert.deepEqual(holes, [], `stream ${stream}: no hole in the files over the outage (${spans})`);
    // The master's timeline says the same.
    const tl = await timeline(stream, from, to);
    assert.deepEqual(tl.gaps, [], `stream ${stream}: no gap in the master's timeline over the outage (${spans})`);
  }
});
