import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { createLogger } from '../lib/log.ts';
import { probeTs } from '../media/ts-probe.ts';
import { readFileSync } from 'node:fs';
import { anchorFileName } from '../recorder/recording-run.ts';
import { LocalIndex } from './local-index.ts';
import { recoverStaging } from './staging-recovery.ts';
import { singlePathSink } from '../../test/support/test-sink.ts';

const log = createLogger('test', 'silent');
let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vigil-recover-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** 20 frames at 10 fps; with `jumpAt`, a 3 s jump before frame 10. */
function encode(file: string, jump = false): void {
  const vf = jump ? 'setpts=N/10/TB+gte(N\\,10)*3/TB' : 'setpts=N/10/TB';
  execFileSync(
    ffmpegPath(),
    ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10'].concat([
      '-frames:v',
      '20',
      '-vf',
      vf,
      '-c:v',
      'libx264',
      '-g',
      '10',
      '-f',
      'mpegts',
      '-y',
      file,
    ]),
  );
}

test('a crashed run is placed by its anchor, split at a jump, and nothing is left in staging', async () => {
  const staging = join(root, 'staging');
  mkdirSync(join(staging, 'cam1'), { recursive: true });
  const prefix = '1796000000_abc-1';
  const file = join(staging, 'cam1', `${prefix}-000004.ts`);
  encode(file, true);
  const firstPts = probeTs(readFileSync(file))!.frames[0].pts;
  writeFileSync(
    join(staging, 'cam1', anchorFileName(prefix)),
    JSON.stringify({ rate: 90_000, points: [{ pts: firstPts, wallMs: 1_796_000_100_000 }] }),
  );
  const index = new LocalIndex(join(root, 'index.db'));
  const { sink, paths } = await singlePathSink(join(root, 'storage'), 'node-a', index, log);
  try {
    const r = await recoverStaging({ stagingRoot: staging, quarantineRoot: join(root, 'q'), sink, log });
    assert.deepEqual(r.quarantined, []);
    // Frames 0-9, then 10-18 (the last frame is dropped: the crash may have cut it).
    assert.deepEqual(
      r.recovered.map((s) => [s.startMs, s.endMs]),
      [
        [1_796_000_100_000, 1_796_000_101_000],
        [1_796_000_104_000, 1_796_000_104_900],
      ],
    );
    assert.deepEqual(readdirSync(join(staging, 'cam1')), []);
  } finally {
    await paths.close();
    index.close();
  }
});

test('without an anchor a file is placed back from its modification time', async () => {
  const staging = join(root, 'staging2');
  mkdirSync(join(staging, 'cam1'), { recursive: true });
  const file = join(staging, 'cam1', '1796000000_def-1-000001.ts');
  encode(file);
  utimesSync(file, 1_796_000_200, 1_796_000_200);
  const index = new LocalIndex(join(root, 'index2.db'));
  const { sink, paths } = await singlePathSink(join(root, 'storage2'), 'node-a', index, log);
  try {
    const r = await recoverStaging({ stagingRoot: staging, quarantineRoot: join(root, 'q2'), sink, log });
    assert.deepEqual(
      r.recovered.map((s) => [s.startMs, s.endMs]),
      [[1_796_000_198_100, 1_796_000_200_000]],
    );
    assert.equal(existsSync(file), false);
  } finally {
    await paths.close();
    index.close();
  }
});
