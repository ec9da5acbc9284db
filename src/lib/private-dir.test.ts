import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPrivateDir, ensurePrivateDir, makePrivateDir, removeOwnDirs } from './private-dir.ts';

const isRoot = process.getuid?.() === 0;

function scratch(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-private-'));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

test('makePrivateDir makes a new 0700 folder of ours with an unguessable name, each time another', () => {
  using s = scratch();
  const a = makePrivateDir(s.dir, 'vigil-x-');
  const b = makePrivateDir(s.dir, 'vigil-x-');
  assert.notEqual(a, b);
  for (const d of [a, b]) {
    const st = lstatSync(d);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, process.getuid?.());
    assert.match(d, /vigil-x-[A-Za-z0-9]{6}$/);
  }
});

test('assertPrivateDir refuses a symlink, a file, a wider mode', () => {
  using s = scratch();
  const real = makePrivateDir(s.dir, 'real-');
  const link = join(s.dir, 'link');
  symlinkSync(real, link);
  assert.throws(() => assertPrivateDir(link), /symbolic link/);
  writeFileSync(join(s.dir, 'file'), '');
  assert.throws(() => assertPrivateDir(join(s.dir, 'file')), /not a folder/);
  mkdirSync(join(s.dir, 'open'), { mode: 0o755 });
  assert.throws(() => assertPrivateDir(join(s.dir, 'open')), /mode 755/);
  assertPrivateDir(real);
});

test("ensurePrivateDir creates 0700 folders, tightens our old 0755 one, refuses a link unless it is the root's", () => {
  using s = scratch();
  const fresh = join(s.dir, 'a', 'b');
  ensurePrivateDir(fresh);
  assert.equal(lstatSync(fresh).mode & 0o777, 0o700);
  const old = join(s.dir, 'old');
  mkdirSync(old, { mode: 0o755 });
  ensurePrivateDir(old);
  assert.equal(lstatSync(old).mode & 0o777, 0o700);
  const link = join(s.dir, 'link');
  symlinkSync(old, link);
  assert.throws(() => ensurePrivateDir(link), /symbolic link/);
  ensurePrivateDir(link, { followRoot: true });
});

test("another user's folder is refused, never tightened", { skip: !isRoot && 'needs root to chown' }, () => {
  using s = scratch();
  const theirs = join(s.dir, 'theirs');
  mkdirSync(theirs);
  chmodSync(theirs, 0o777);
  chownSync(theirs, 12345, 12345);
  assert.throws(() => ensurePrivateDir(theirs), /belongs to user 12345/);
  assert.equal(lstatSync(theirs).mode & 0o777, 0o777);
  assert.throws(() => assertPrivateDir(theirs), /belongs to user 12345/);
});

test('removeOwnDirs removes our leftover folders only: not links, files, or other users’ folders', () => {
  using s = scratch();
  const ours = makePrivateDir(s.dir, 'vigil-s1-buffer-');
  writeFileSync(join(ours, 'seg.ts'), 'x');
  const target = makePrivateDir(s.dir, 'target-');
  symlinkSync(target, join(s.dir, 'vigil-s1-buffer-link'));
  writeFileSync(join(s.dir, 'vigil-s1-buffer-file'), 'keep');
  const other = makePrivateDir(s.dir, 'vigil-s2-buffer-');
  let theirs: string | undefined;
  if (isRoot) {
    theirs = join(s.dir, 'vigil-s1-buffer-theirs');
    mkdirSync(theirs);
    chownSync(theirs, 12345, 12345);
  }
  assert.deepEqual(removeOwnDirs(s.dir, 'vigil-s1-buffer-'), [ours]);
  assert.ok(!existsSync(ours));
  for (const kept of [target, join(s.dir, 'vigil-s1-buffer-link'), join(s.dir, 'vigil-s1-buffer-file'), other])
    assert.ok(existsSync(kept), kept);
  if (theirs) assert.ok(existsSync(theirs));
  assert.deepEqual(removeOwnDirs(join(s.dir, 'missing'), 'x'), []);
});
