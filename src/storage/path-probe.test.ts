import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPathsWritable } from './path-probe.ts';

test('checkPathsWritable names missing, non-directory, unwritable and too-small paths', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-storage-check-'));
  t.after(() => {
    chmodSync(join(dir, 'ro'), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });
  const ok = join(dir, 'ok');
  const file = join(dir, 'file');
  const ro = join(dir, 'ro');
  mkdirSync(ok);
  mkdirSync(ro, { mode: 0o555 });
  writeFileSync(file, 'x');
  assert.deepEqual(await checkPathsWritable([ok]), []);
  assert.deepEqual(readdirSync(ok), [], 'the probe file is removed');
  const problems = await checkPathsWritable([ok, join(dir, 'missing'), file, ro]);
  assert.equal(problems[0], `${join(dir, 'missing')}: does not exist`);
  assert.equal(problems[1], `${file}: not a directory`);
  // root writes through mode 0555, so this one is only checked for other users
  if (process.getuid?.() !== 0) assert.match(problems[2], /ro: not writable \(EACCES\)/);
  if (process.getuid?.() === 0) {
    // Root ignores the mode bits, but not a read-only mount.
    const rofs = join(dir, 'rofs');
    mkdirSync(rofs);
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', rofs], { stdio: 'ignore' });
      mounted = true;
    } catch {
      t.diagnostic('mount not permitted: read-only path not checked');
    }
    if (mounted) {
      try {
        assert.deepEqual(await checkPathsWritable([rofs]), [`${rofs}: not writable (EROFS)`]);
      } finally {
        spawnSync('umount', [rofs]);
      }
    }
  }
  const huge = await checkPathsWritable([ok], { minFreeBytes: Number.MAX_SAFE_INTEGER, minFreePercent: 0 });
  assert.match(huge[0], /retention would delete everything/);
  assert.match(
    (await checkPathsWritable([ok], { minFreeBytes: 0, minFreePercent: 100 }))[0],
    /retention would delete everything/,
  );
});
