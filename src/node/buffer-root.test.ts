import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/log.ts';
import { bufferPrefix, openBufferRoot, SHM } from './buffer-root.ts';

const log = createLogger('test', 'silent');

test('the buffer folder is a new private one, never the old predictable path; leftovers of ours go, planted links stay', () => {
  const data = mkdtempSync(join(tmpdir(), 'vigil-bufroot-'));
  const id = `bt${process.pid}`;
  const old = join(SHM, `vigil-${id}-buffer`);
  const prefix = bufferPrefix(id, data);
  const parent = existsSync(SHM) ? SHM : data;
  const victim = join(data, 'victim');
  const planted = join(parent, `${prefix}planted`);
  try {
    if (existsSync(SHM)) mkdirSync(join(old, 'cam'), { recursive: true });
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep'), 'x');
    symlinkSync(victim, planted);
    const first = openBufferRoot(id, data, log);
    assert.ok(first.dir.startsWith(join(parent, prefix)) && first.dir !== old);
    const st = lstatSync(first.dir);
    assert.ok(st.isDirectory() && !st.isSymbolicLink() && (st.mode & 0o777) === 0o700 && st.uid === process.getuid?.());
    writeFileSync(join(first.dir, 'seg.ts'), 'x');
    // A killed run leaves its folder: the next start removes it, and leaves the planted link and its target alone.
    const second = openBufferRoot(id, data, log);
    assert.notEqual(second.dir, first.dir);
    assert.ok(!existsSync(first.dir), 'the leftover folder was removed');
    assert.ok(lstatSync(planted).isSymbolicLink());
    assert.deepEqual(readdirSync(victim), ['keep']);
    if (existsSync(SHM)) assert.deepEqual(readdirSync(old), ['cam'], 'the old path is not touched');
    second.close();
    assert.ok(!existsSync(second.dir));
    // Another data dir, another prefix: two nodes of the same id on one machine keep their own folders.
    const other = mkdtempSync(join(tmpdir(), 'vigil-bufroot-'));
    assert.notEqual(bufferPrefix(id, other), prefix);
    rmSync(other, { recursive: true });
  } finally {
    rmSync(old, { recursive: true, force: true });
    rmSync(planted, { force: true });
    rmSync(data, { recursive: true, force: true });
  }
});
