import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecretFile } from './secret-file.ts';

test('a secret file must be a regular file of ours with no group or other bit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-secret-'));
  try {
    const file = join(dir, 'tls.key');
    writeFileSync(file, 'KEY', { mode: 0o600 });
    assert.equal(readSecretFile(file), 'KEY');
    chmodSync(file, 0o400);
    assert.equal(readSecretFile(file), 'KEY');
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o601, 0o700 | 0o010]) {
      chmodSync(file, mode);
      assert.throws(
        () => readSecretFile(file),
        (e: Error) => e.message.includes(`${file} has mode`) && e.message.includes(`chmod 600 ${file}`),
        mode.toString(8),
      );
    }
    chmodSync(file, 0o600);
    // A link is followed: its target is what is checked.
    symlinkSync(file, join(dir, 'link.key'));
    assert.equal(readSecretFile(join(dir, 'link.key')), 'KEY');
    chmodSync(file, 0o644);
    assert.throws(() => readSecretFile(join(dir, 'link.key')), /has mode 644/);
    mkdirSync(join(dir, 'folder'));
    assert.throws(() => readSecretFile(join(dir, 'folder')), /not a regular file/);
    if (process.getuid?.() === 0) {
      chmodSync(file, 0o600);
      chownSync(file, 12345, 12345);
      // Root reads anyone's file; the owner is what tells who else may read it.
      assert.throws(() => readSecretFile(file), /belongs to user 12345/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
