import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/log.ts';
import { CameraSim } from '../sim/camera-sim.ts';
import { CameraRecorder } from './camera-recorder.ts';
import { segmentRelPath } from '../storage/layout.ts';
import { LocalIndex } from '../storage/local-index.ts';
import { singlePathSink } from '../../test/support/test-sink.ts';

// Real ffmpeg against the simulator, on a server whose clock is 5 s ahead of farm time (toFarm).

test('segment times and file names are in farm time: a server 5 s ahead files its footage 5 s earlier', {
  timeout: 30_000,
}, async () => {
  const sim = new CameraSim({
    port: 0,
    cameras: [{ id: 'cam1', width: 160, height: 120, fps: 10, keyintSeconds: 1 }],
    log: createLogger('sim', 'warn'),
  });
  await sim.start();
  const root = mkdtempSync(join(tmpdir(), 'vigil-farmtime-'));
  const index = new LocalIndex(join(root, 'index.db'));
  const log = createLogger('rec', 'warn');
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  const rec = new CameraRecorder({
    nodeId: 'node-a',
    cameraId: 'cam1',
    url: sim.url('cam1'),
    stagingRoot: join(root, 'staging'),
    sink,
    log,
    toFarm: (ms) => ms - 5000,
  });
  try {
    const t0 = Date.now();
    rec.start();
    const deadline = Date.now() + 15_000;
    while (index.list('cam1', 0, Number.MAX_SAFE_INTEGER).length < 2) {
      if (Date.now() > deadline) throw new Error('no two segments within 15 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const now = Date.now();
    const segs = index.list('cam1', 0, Number.MAX_SAFE_INTEGER);
    for (const s of segs) {
      // This process's clock plays the farm's here: the footage lies in [t0, now] of it, shifted by the 5 s.
      assert.ok(
        s.startMs >= t0 - 5000 - 1000 && s.endMs <= now - 5000 + 200,
        `[${s.startMs}, ${s.endMs}] not 5 s back`,
      );
      assert.ok(s.endMs > s.startMs);
      assert.equal(s.path, segmentRelPath('cam1', s.startMs, 'node-a'), 'the file is named by its farm time');
      assert.ok(statSync(join(root, 'storage', s.path)).size > 0);
    }
    assert.equal(rec.status().lastSegmentEndMs, Math.max(...segs.map((s) => s.endMs)));
  } finally {
    await rec.close();
    await paths.close();
    index.close();
    await sim.close();
    rmSync(root, { recursive: true, force: true });
  }
});
