import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../src/lib/log.ts';
import { CameraRecorder } from '../src/recorder/camera-recorder.ts';
import { maxFrameJumpMs, frameIntervalMs } from '../src/recorder/segment-split.ts';
import { LocalIndex } from '../src/storage/local-index.ts';
import { diskSegments, footageHoles } from './support/disk-footage.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { descendants } from './support/process-tree.ts';
import { singlePathSink } from './support/test-sink.ts';

// Helper A's ports (27000-27099).
const PORTS = { master: 27080, rtsp: 27054, udp: 27045 };
const MISSED_MS = 2000;
const START_DELAY_MS = 8000;
const PAUSE_MS = 12_000;

/** Every frame of a camera's files under `root`: its time by the file's name and its pts (disk-footage), by picture hash. */
function framesOnDisk(root: string, camera: string): Map<string, number> {
  const byHash = new Map<string, number>();
  for (const seg of diskSegments(root, camera)) for (const f of seg.frames) byHash.set(f.hash, f.timeMs);
  return byHash;
}

/** The largest step between consecutive frames inside any one file, against the bound a file may hold. */
function worstJump(root: string, camera: string): { file: string; jumpMs: number; boundMs: number } | undefined {
  let worst: { file: string; jumpMs: number; boundMs: number } | undefined;
  for (const seg of diskSegments(root, camera)) {
    const ms = seg.frames.map((f) => f.timeMs).sort((a, b) => a - b);
    const boundMs = maxFrameJumpMs(frameIntervalMs(ms.map((m) => m * 90)) ?? 100);
    for (let i = 1; i < ms.length; i++) {
      const jumpMs = ms[i] - ms[i - 1];
      if (jumpMs > boundMs && (!worst || jumpMs - boundMs > worst.jumpMs - worst.boundMs))
        worst = { file: seg.file, jumpMs, boundMs };
    }
  }
  return worst;
}

/** Files (not folders) left under a staging root. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => statSync(join(dir, n)).isFile());
}

test("SIGSTOP of a recording server for 12 s: its footage keeps the frames' times, the hole is the real one, nothing stays in staging", {
  timeout: 240_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'media-time', PORTS.master);
  const url = (id: string) => `rtsp://127.0.0.1:${PORTS.rtsp}/${id}`;
  await fut.farm.startSim(PORTS.rtsp, ['c1']);

  // A reference recording of the same camera that nobody pauses: in this process, the same recorder.
  const refDir = mkdtempSync(join(tmpdir(), 'vigil-media-time-ref-'));
  const log = createLogger('ref', 'silent');
  const refIndex = new LocalIndex(join(refDir, 'index.db'));
  const { sink, paths } = await singlePathSink(join(refDir, 'storage'), 'ref', refIndex, log);
  const ref = new CameraRecorder({
    nodeId: 'ref',
    cameraId: 'c1',
    url: url('c1'),
    stagingRoot: join(refDir, 'staging'),
    sink,
    log,
  });
  let stopped: number[] = [];
  t.after(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {}
    }
    await ref.close();
    await paths.close();
    refIndex.close();
    rmSync(refDir, { recursive: true, force: true });
  });
  await ref.start();

  await fut.start({
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: MISSED_MS,
      FarmHealthStartDelayMs: START_DELAY_MS,
      StatusIntervalMs: 250,
    },
    groups: [{ id: 1 }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: [{ id: 'c1', url: url('c1'), server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  await fut.judging(START_DELAY_MS);
  const since = Date.now();
  await delay(3000);

  // A hung VM: the node and its ffmpeg stop together, the camera's packets pile up in the sockets.
  const node = fut.farm.pids().s1!;
  stopped = [node, ...descendants(node).map((p) => p.pid)];
  const pausedAt = Date.now();
  for (const pid of stopped) process.kill(pid, 'SIGSTOP');
  await fut.settled({ c1: 's2' }, 30_000);
  await delay(Math.max(0, pausedAt + PAUSE_MS - Date.now()));
  for (const pid of stopped) process.kill(pid, 'SIGCONT');
  stopped = [];
  const resumedAt = Date.now();

  // s1 yields c1 once it hears the master; its last files are stored, staging emptied.
  await fut.farm.waitFor(
    async () =>
      (await fut.server('s1')).cameras.length === 0 &&
      filesUnder(join(fut.dir, 'nodes', 's1', 'staging')).length === 0 &&
      filesUnder(join(fut.storageOf('s1'), '.staging')).length === 0,
    30_000,
    's1 yielded c1 and its staging is empty',
  );
  await delay(4000);
  const until = Date.now() - 2000;

  // Every stored file is continuous: no jump between frames beyond the bound.
  for (const s of ['s1', 's2'])
    assert.equal(worstJump(fut.storageOf(s), 'c1'), undefined, `${s}: a jump inside a file`);

  // No misdated frame: each frame either server stored has the time the reference gave it.
  const refFrames = framesOnDisk(join(refDir, 'storage'), 'c1');
  let compared = 0;
  let late = 0;
  for (const s of ['s1', 's2']) {
    for (const [hash, at] of framesOnDisk(fut.storageOf(s), 'c1')) {
      const truth = refFrames.get(hash);
      if (truth === undefined) continue;
      compared++;
      if (Math.abs(at - truth) > 200) late++;
      assert.ok(
        Math.abs(at - truth) <= 200,
        `${s}: a frame at ${at - pausedAt} ms from the pause is at ${truth - pausedAt} ms`,
      );
    }
  }
  assert.ok(compared > 50, `${compared} frames compared with the reference`);
  assert.equal(late, 0);

  // The real hole, from the files of both servers, and the master's timeline says the same.
  const disk = [...diskSegments(fut.storageOf('s1'), 'c1'), ...diskSegments(fut.storageOf('s2'), 'c1')];
  const holes = footageHoles(disk, since, until);
  // What the camera sent during the pause sat in the sockets and reached s1's files after SIGCONT:
  // dated when it was captured (checked against the reference above), not when it arrived.
  const s1Frames = [...framesOnDisk(fut.storageOf('s1'), 'c1').values()];
  const duringPause = s1Frames.filter((at) => at > pausedAt + 1000 && at < resumedAt - 1000).length;
  const s2Start = Math.min(...diskSegments(fut.storageOf('s2'), 'c1').map((d) => d.startMs));
  console.log(
    JSON.stringify({
      compared,
      s1FramesDuringPause: duringPause,
      s2StartsAfterPauseMs: s2Start - pausedAt,
      holes: holes.map((h) => ({ fromPauseMs: h.startMs - pausedAt, ms: h.ms })),
    }),
  );
  for (const h of holes)
    assert.ok(h.startMs >= pausedAt - 1500 && h.endMs <= resumedAt, `a hole outside the pause: ${JSON.stringify(h)}`);
  const timeline = await fut.timeline('c1', since, until);
  const bigHoles = holes.filter((h) => h.ms > 500);
  for (const h of bigHoles) {
    const g = timeline.gaps.find((x) => x.startMs < h.endMs && x.endMs > h.startMs);
    assert.ok(g, `the timeline shows the hole ${JSON.stringify(h)}: ${JSON.stringify(timeline.gaps)}`);
    assert.ok(
      Math.abs(g.startMs - h.startMs) <= 300 && Math.abs(g.endMs - h.endMs) <= 300,
      `${JSON.stringify(g)} vs ${JSON.stringify(h)}`,
    );
  }
  for (const g of timeline.gaps.filter((x) => x.ms > 500))
    assert.ok(
      bigHoles.some((h) => h.startMs < g.endMs && h.endMs > g.startMs),
      `a gap the files do not have: ${JSON.stringify(g)}`,
    );
  // Each server's intervals at the master are its files' footage.
  for (const s of ['s1', 's2']) {
    const mine = timeline.recorded.filter((r) => r.server === s);
    const files = diskSegments(fut.storageOf(s), 'c1').filter((d) => d.endMs > since && d.startMs < until);
    for (const d of files)
      assert.ok(
        mine.some((r) => r.startMs <= d.startMs + 150 && r.endMs >= Math.min(d.endMs, until) - 150),
        `${s}: the file at ${d.startMs} is not in the master's record`,
      );
  }
});
