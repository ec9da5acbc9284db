import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../lib/log.ts';
import { CameraSim } from '../sim/camera-sim.ts';
import { CameraRecorder } from '../recorder/camera-recorder.ts';
import { singlePathSink } from '../../test/support/test-sink.ts';
import { LocalIndex, type IndexedSegment } from './local-index.ts';
import { RetentionRunner } from './retention-runner.ts';
import { mountTmpfs } from '../../test/support/tmpfs.ts';

// Real ffmpeg recording a simulated 640x360 camera into a 6 MB tmpfs, with retention keeping 4 MB free:
// retention starts within seconds and has to keep deleting while the recorder keeps writing.

const MB = 1024 * 1024;
const MIN_FREE = 4 * MB;

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

/** Segment files in the storage layout (staging excluded), as layout paths. */
function storedFiles(root: string): string[] {
  const out: string[] = [];
  for (const cam of readdirSync(root)) {
    if (cam.startsWith('.')) continue;
    for (const day of readdirSync(join(root, cam))) {
      for (const hour of readdirSync(join(root, cam, day))) {
        for (const f of readdirSync(join(root, cam, day, hour))) out.push(`${cam}/${day}/${hour}/${f}`);
      }
    }
  }
  return out.sort();
}

test('retention deletes the oldest footage first while recording goes on (6 MB tmpfs, real ffmpeg)', {
  timeout: 90_000,
}, async (t) => {
  const root = mountTmpfs(t, 6 * MB);
  const indexDir = mkdtempSync(join(tmpdir(), 'vigil-e2e-index-')); // off the tmpfs: only footage fills it
  t.after(() => rmSync(indexDir, { recursive: true, force: true }));
  const log = createLogger('e2e', 'warn');

  const sim = new CameraSim({
    port: 0,
    cameras: [{ id: 'cam1', width: 640, height: 360, fps: 10, keyintSeconds: 1 }],
    log,
  });
  t.after(() => sim.close());
  await sim.start();

  const index = new LocalIndex(join(indexDir, 'index.sqlite'));
  t.after(() => index.close());
  const recorded: IndexedSegment[] = [];
  const { sink, paths } = await singlePathSink(root, 'n1', index, log);
  t.after(() => paths.close());
  const stagingRoot = join(indexDir, 'staging'); // off the tmpfs too, as on a node (its data dir)
  const rec = new CameraRecorder({
    nodeId: 'n1',
    cameraId: 'cam1',
    url: sim.url('cam1'),
    stagingRoot,
    sink,
    log,
    onSegment: (s) => void recorded.push(s),
  });
  const runner = new RetentionRunner({
    index,
    paths: [root],
    policy: {
      minFreeBytes: MIN_FREE,
      minFreePercent: 0,
      maxDays: () => 0,
      keepMetadataLonger: false,
      metadataStorageDays: 0,
    },
    log,
    intervalMs: 300,
  });
  t.after(() => rec.close());
  t.after(() => runner.close());
  rec.start();
  runner.start();

  await waitFor('retention to start deleting', () => runner.status().deleted['low-space'] > 0, 60_000);
  const atFirstDelete = recorded.length;
  await waitFor('10 more segments recorded while retention works', () => recorded.length >= atFirstDelete + 10, 30_000);
  await rec.close();
  await runner.close();
  await runner.runOnce(); // the last segments, indexed during close, may still be over the bound

  const status = rec.status();
  assert.equal(status.invalidSegments, 0);
  assert.equal(status.restarts, 0, 'recording never stalled');
  // Recording went on: consecutive segments follow each other without a hole, before and after retention started.
  const byStart = [...recorded].sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < byStart.length; i++) {
    const gap = byStart[i].startMs - byStart[i - 1].endMs;
    assert.ok(Math.abs(gap) < 500, `no hole between segments ${i - 1} and ${i}: ${gap} ms`);
  }
  // The oldest went first: what is left is the newest, unbroken, and disk and index agree.
  const kept = index.list('cam1', 0, Number.MAX_SAFE_INTEGER);
  const deleted = recorded.length - kept.length;
  assert.ok(deleted >= 5, `retention deleted ${deleted} of ${recorded.length}`);
  assert.deepEqual(
    kept.map((s) => s.path),
    byStart.slice(deleted).map((s) => s.path),
  );
  assert.deepEqual(storedFiles(root), kept.map((s) => s.path).sort());
  assert.equal(runner.status().deleted['low-space'], deleted);
  assert.equal(runner.status().deleted['max-days'], 0);
  const s = statfsSync(root);
  assert.ok(s.bavail * s.bsize >= MIN_FREE, `free space ${s.bavail * s.bsize} meets the bound`);
  t.diagnostic(
    `recorded ${recorded.length} segments, retention deleted ${deleted} in ${runner.status().rounds} rounds`,
  );
});
