import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * For tests: mounts an empty tmpfs of `bytes` on a new temp folder, unmounted and removed after the
 * test. A size-limited file system is what these tests are about, so no mount is a failure, not a
 * skip: run the suite as root (CI does).
 */
export function mountTmpfs(t: TestContext, bytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a ${bytes}-byte tmpfs (the storage tests need root): ${(err as Error).message}`);
  }
  t.after(() => {
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
