import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLogger } from '../lib/log.ts';
import { VigilError } from '../lib/errors.ts';
import { segmentRelPath } from './layout.ts';
import { storageFile, type StorageFs } from './storage-fs.ts';
import { StoragePaths, type StoragePathsStatus } from './storage-paths.ts';
import { mountTmpfs } from '../../test/support/tmpfs.ts';

const log = createLogger('test', 'silent');
const REL = 'cam1/2024-05-01/10/1714557600000_n1.ts';

// ---- the decisions, on an in-memory file system with injected faults ----

/** An in-memory StorageFs: `faults` maps a path prefix to the errno code every write under it fails with. */
class FakeFs implements StorageFs {
  readonly files = new Map<string, Buffer>();
  readonly faults = new Map<string, string>();
  /** Prefixes where a copy writes half the data and then fails, as a disk filling up mid-copy does. */
  readonly partialCopy = new Set<string>();
  /** Prefixes on another file system than the staging folder: rename into them fails with EXDEV. */
  readonly otherFs = new Set<string>();
  readonly ops: string[] = [];

  private check(path: string): void {
    for (const [prefix, code] of this.faults) if (path.startsWith(prefix)) throw errno(code, path);
  }
  async writeProbe(dir: string) {
    this.check(dir);
  }
  async statfs() {
    return { totalBytes: 1000, freeBytes: 500 };
  }
  async mkdirp(dir: string) {
    this.check(dir);
  }
  async exists(file: string) {
    return this.files.has(file);
  }
  async copy(src: string, dest: string) {
    this.ops.push(`copy ${dest}`);
    const data = this.files.get(src);
    if (!data) throw errno('ENOENT', src);
    if ([...this.partialCopy].some((p) => dest.startsWith(p))) {
      this.files.set(dest, data.subarray(0, data.length >> 1));
      throw errno('ENOSPC', dest);
    }
    this.check(dest);
    this.files.set(dest, Buffer.from(data));
  }
  async rename(src: string, dest: string) {
    this.ops.push(`rename ${dest}`);
    const data = this.files.get(src);
    if (!data) throw errno('ENOENT', src);
    if (!src.endsWith('.part') && [...this.otherFs].some((p) => dest.startsWith(p))) throw errno('EXDEV', dest);
    this.check(dest);
    this.files.delete(src);
    this.files.set(dest, data);
  }
  async remove(file: string) {
    this.files.delete(file);
  }
  async removeEmptyDir() {}
  async sync(path: string) {
    this.ops.push(`sync ${path}`);
  }
}

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: fake fault, ${path}`), { code });
}

function fakePaths(availability: 'failover' | 'redundant', paths = ['/a', '/b'], readPath?: string) {
  const fs = new FakeFs();
  const changes: StoragePathsStatus[] = [];
  const sp = new StoragePaths({ paths, readPath, availability, fs, log, onChange: (s) => changes.push(s) });
  const stage = (name = 'seg.ts', data = 'video') => {
    const file = `/staging/${name}`;
    fs.files.set(file, Buffer.from(data));
    return file;
  };
  return { fs, sp, stage, changes };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e) => e instanceof VigilError && e.code === code);
}

test('failover: writes the first healthy path, moves on when it fails, comes back after a good probe', async () => {
  const { fs, sp, stage, changes } = fakePaths('failover', ['/a', '/b', '/c'], '/c');
  assert.deepEqual(sp.writeTargets(), ['/a']);
  assert.equal(sp.readPath(), '/c');
  assert.deepEqual(await sp.commit(stage(), REL), { written: ['/a'] });
  assert.equal(fs.files.get(`/a/${REL}`)?.toString(), 'video');
  assert.equal(fs.files.has('/staging/seg.ts'), false, 'the staged file is moved, not copied');

  fs.faults.set('/a', 'EIO');
  assert.deepEqual(await sp.commit(stage(), `${REL}2`), { written: ['/b'] });
  assert.deepEqual(sp.writeTargets(), ['/b']);
  assert.equal(sp.allFailed(), false);
  assert.deepEqual(
    changes.map((c) => c.paths.map((p) => p.healthy)),
    [[false, true, true]],
  );

  fs.faults.set('/c', 'EROFS');
  await sp.recheck();
  assert.equal(sp.readPath(), '/b', 'the * path while healthy, else the first healthy one');

  fs.faults.clear();
  await sp.recheck();
  assert.deepEqual(sp.writeTargets(), ['/a'], 'back to the first path once it takes writes again');
  assert.equal(sp.readPath(), '/c');
  assert.equal(sp.status().paths[0].healthy, true);
});

test('failover: with every path failed, commit throws, keeps the staged file, and allFailed() is true', async () => {
  const { fs, sp, stage } = fakePaths('failover');
  fs.faults.set('/a', 'EROFS');
  fs.faults.set('/b', 'ENOSPC');
  const staged = stage();
  await rejectsWith(sp.commit(staged, REL), 'STORAGE_ALL_FAILED');
  assert.equal(sp.allFailed(), true);
  assert.deepEqual(sp.writeTargets(), []);
  assert.equal(sp.readPath(), undefined);
  assert.equal(fs.files.has(staged), true, 'the segment stays in staging');
  assert.match(sp.status().paths[1].lastError ?? '', /ENOSPC/);

  // A failed path is still tried as a last resort: one may be back before its probe says so.
  fs.faults.delete('/b');
  assert.deepEqual(await sp.commit(staged, REL), { written: ['/b'] });
  assert.equal(sp.allFailed(), false);
});

test('redundant: copies to all but the last path and moves to the last; a failed path does not stop the others', async () => {
  const { fs, sp, stage } = fakePaths('redundant', ['/a', '/b', '/c']);
  assert.deepEqual(sp.writeTargets(), ['/a', '/b', '/c']);
  assert.deepEqual(await sp.commit(stage(), REL), { written: ['/a', '/b', '/c'] });
  assert.deepEqual(fs.ops, [
    `copy /a/${REL}.part`,
    `rename /a/${REL}`,
    `copy /b/${REL}.part`,
    `rename /b/${REL}`,
    `rename /c/${REL}`,
  ]);
  for (const p of ['/a', '/b', '/c']) assert.equal(fs.files.get(`/${p.slice(1)}/${REL}`)?.toString(), 'video');

  fs.faults.set('/b', 'EIO');
  fs.faults.set('/c', 'EIO');
  const staged = stage();
  assert.deepEqual(await sp.commit(staged, `${REL}2`), { written: ['/a'] });
  assert.equal(fs.files.has(staged), false, 'staged file removed once one copy is placed');
  assert.deepEqual(sp.writeTargets(), ['/a']);
  assert.equal(sp.allFailed(), false);
});

test('a copy that fails half-way never leaves a file under the final name', async () => {
  const { fs, sp, stage } = fakePaths('redundant');
  fs.partialCopy.add('/a');
  assert.deepEqual(await sp.commit(stage(), REL), { written: ['/b'] });
  assert.equal(fs.files.has(`/a/${REL}`), false);
  assert.equal(fs.files.has(`/a/${REL}.part`), false, 'the .part file is cleaned up');
});

test('a path on another file system gets a copy to .part, a rename, and the staged file removed', async () => {
  const { fs, sp, stage } = fakePaths('failover');
  fs.otherFs.add('/a');
  const staged = stage();
  assert.deepEqual(await sp.commit(staged, REL), { written: ['/a'] });
  assert.deepEqual(fs.ops, [`rename /a/${REL}`, `copy /a/${REL}.part`, `rename /a/${REL}`]);
  assert.equal(fs.files.has(staged), false);
  assert.equal(sp.allFailed(), false, 'EXDEV is not a storage failure');
});

test('durable: a new folder’s parents are synced once, the data before its name is placed, the folder after', async () => {
  const { fs, sp, stage } = fakePaths('redundant', ['/a', '/b']);
  const dir = dirname(REL);
  fs.otherFs.add('/b');
  await sp.commit(stage(), REL, { durable: true });
  const parents = (root: string) => [`sync ${root}/cam1/2024-05-01`, `sync ${root}/cam1`, `sync ${root}`];
  assert.deepEqual(fs.ops, [
    ...parents('/a'),
    `copy /a/${REL}.part`,
    `sync /a/${REL}.part`,
    `rename /a/${REL}`,
    `sync /a/${dir}`,
    // The last path is on another file system: the move falls back to a copy, synced the same way.
    ...parents('/b'),
    'sync /staging/seg.ts',
    `rename /b/${REL}`,
    `copy /b/${REL}.part`,
    `sync /b/${REL}.part`,
    `rename /b/${REL}`,
    `sync /b/${dir}`,
  ]);

  fs.ops.length = 0;
  await sp.commit(stage('next.ts'), `${REL}2`, { durable: true });
  assert.deepEqual(
    fs.ops.filter((o) => o.startsWith('sync /a')),
    [`sync /a/${REL}2.part`, `sync /a/${dir}`],
    'a known folder: its parents are not synced again',
  );
  fs.ops.length = 0;
  await sp.commit(stage('plain.ts'), `${REL}3`);
  assert.deepEqual(
    fs.ops.filter((o) => o.startsWith('sync')),
    [],
    'not durable: no sync',
  );
});

test('commit refuses to overwrite, a missing staged file, and names outside the storage', async () => {
  const { fs, sp, stage } = fakePaths('redundant');
  fs.files.set(`/b/${REL}`, Buffer.from('older'));
  const staged = stage();
  await rejectsWith(sp.commit(staged, REL), 'SEGMENT_EXISTS');
  assert.equal(fs.files.has(`/a/${REL}`), false, 'nothing written');
  assert.equal(fs.files.get(`/b/${REL}`)?.toString(), 'older');
  await rejectsWith(sp.commit('/staging/none.ts', `${REL}x`), 'SEGMENT_MISSING');
  for (const bad of ['../etc/passwd', 'cam/../../x', '/etc/passwd', '', '.']) {
    await rejectsWith(sp.commit(staged, bad), 'PATH_OUTSIDE_STORAGE');
    assert.throws(() => storageFile('/a', bad), /not inside the storage/);
  }
  assert.equal(sp.allFailed(), false, 'refusals are not path failures');
  assert.equal(await sp.locate(REL), `/b/${REL}`);
  assert.equal(await sp.locate('cam1/none.ts'), undefined);
});

test('the layout keeps every folder under 5000 files (Symphony), even a day of 1 s segments across midnight', () => {
  const perFolder = new Map<string, number>();
  const start = Date.UTC(2024, 4, 1, 12);
  for (let t = start; t < start + 86_400_000; t += 1000) {
    const dir = dirname(segmentRelPath('cam1', t, 'n1'));
    perFolder.set(dir, (perFolder.get(dir) ?? 0) + 1);
  }
  assert.equal(perFolder.size, 24);
  assert.equal(Math.max(...perFolder.values()), 3600);
});

// ---- the same on real size-limited file systems ----

function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'ignore' });
}

/** Writes until ENOSPC, as a disk that filled up. */
function fill(dir: string): void {
  try {
    writeFileSync(join(dir, 'filler'), Buffer.alloc(64 * 1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

function realSetup(t: TestContext, availability: 'failover' | 'redundant') {
  const a = mountTmpfs(t, 1024 * 1024);
  const b = mountTmpfs(t, 1024 * 1024);
  const staging = mkdtempSync(join(tmpdir(), 'vigil-staging-')); // another file system: copies, not renames
  t.after(() => rmSync(staging, { recursive: true, force: true }));
  const sp = new StoragePaths({ paths: [a, b], availability, log });
  let n = 0;
  const stage = () => {
    const file = join(staging, `seg-${n++}.ts`);
    writeFileSync(file, Buffer.alloc(100 * 1024, n));
    return file;
  };
  const rel = () => segmentRelPath('cam1', Date.UTC(2024, 4, 1, 10) + n * 1000, 'n1');
  return { a, b, sp, stage, rel, staging };
}

test('real tmpfs, failover: a full first path sends the segment to the second; both failed throws', async (t) => {
  const s = realSetup(t, 'failover');
  const { a, b, sp, stage, rel, staging } = s;
  await sp.start();
  t.after(() => sp.close());
  let r = rel();
  assert.deepEqual(await sp.commit(stage(), r), { written: [a] });
  assert.equal(readFileSync(join(a, r)).length, 100 * 1024);

  fill(a);
  r = rel();
  assert.deepEqual(await sp.commit(stage(), r), { written: [b] });
  assert.equal(existsSync(join(a, r)), false);
  assert.equal(existsSync(`${join(a, r)}.part`), false, 'no partial file left on the full disk');
  assert.deepEqual(sp.writeTargets(), [b]);
  assert.equal(sp.allFailed(), false);

  remount(b, 'ro');
  const staged = stage();
  await rejectsWith(sp.commit(staged, rel()), 'STORAGE_ALL_FAILED');
  assert.equal(sp.allFailed(), true);
  assert.equal(existsSync(staged), true, 'the segment stays in staging');

  // Both repaired: the periodic probe (run here at once) puts them back, the first path first.
  remount(b, 'rw');
  rmSync(join(a, 'filler'));
  await sp.recheck();
  assert.deepEqual(sp.writeTargets(), [a]);
  assert.deepEqual(readdirSync(staging).length, 1);
});

test('real tmpfs, redundant: the segment lands on both paths; with one read-only it still lands on the other', async (t) => {
  const s = realSetup(t, 'redundant');
  const { a, b, sp, stage, rel } = s;
  await sp.start();
  t.after(() => sp.close());
  let r = rel();
  assert.deepEqual(await sp.commit(stage(), r), { written: [a, b] });
  assert.deepEqual(readFileSync(join(a, r)), readFileSync(join(b, r)));

  remount(a, 'ro');
  r = rel();
  assert.deepEqual(await sp.commit(stage(), r), { written: [b] });
  assert.equal(sp.allFailed(), false);
  assert.deepEqual(sp.writeTargets(), [b]);

  remount(a, 'rw');
  await sp.recheck();
  assert.deepEqual(sp.writeTargets(), [a, b]);
});
