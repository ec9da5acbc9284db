import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createLogger } from '../lib/log.ts';
import { segmentRelPath } from './layout.ts';
import { LocalIndex } from './local-index.ts';
import { DAY_MS } from './retention.ts';
import { RetentionRunner, type RetentionPolicy } from './retention-runner.ts';
import { nodeStorageFs, type StorageFs } from './storage-fs.ts';
import { mountTmpfs } from '../../test/support/tmpfs.ts';

const log = createLogger('test', 'silent');
const KB = 1024;
const MB = 1024 * KB;
/** A multiple of the page size, so a file's bytes are exactly the space it takes on tmpfs. */
const SEG_BYTES = 100 * KB;
const T0 = Date.UTC(2024, 4, 1, 10);

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openIndex(t: TestContext): LocalIndex {
  const index = new LocalIndex(join(tempDir(t, 'vigil-retention-index-'), 'index.sqlite'));
  t.after(() => index.close());
  return index;
}

function policy(over: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return {
    minFreeBytes: 0,
    minFreePercent: 0,
    maxDays: () => 0,
    keepMetadataLonger: false,
    metadataStorageDays: 0,
    ...over,
  };
}

/** Writes a synthetic segment file under each root and indexes it there, as a recorder with StoragePaths would. */
function writeSegment(
  index: LocalIndex,
  roots: string[],
  cameraId: string,
  startMs: number,
  bytes = SEG_BYTES,
  stream = 0,
) {
  const path = segmentRelPath(cameraId, startMs, 'n1', 'ts', stream);
  for (const root of roots) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), Buffer.alloc(bytes, startMs % 251));
  }
  const id = index.addStored({ cameraId, startMs, endMs: startMs + 1000, path, bytes, stream }, roots);
  return { id, path };
}

const freeBytes = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** Every segment file under `root`, as layout paths, sorted. */
function filesOn(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

test('8 MB tmpfs filled to the brim: one round deletes exactly the oldest segments, across cameras, until minFreeBytes is met', async (t) => {
  const root = mountTmpfs(t, 8 * MB);
  const index = openIndex(t);
  const written: { id: number; path: string }[] = [];
  for (let i = 0; freeBytes(root) >= 1 * MB; i++)
    written.push(writeSegment(index, [root], i % 2 ? 'cam2' : 'cam1', T0 + i * 1000));
  const before = freeBytes(root);
  const runner = new RetentionRunner({ index, paths: [root], policy: policy({ minFreeBytes: 3 * MB }), log });

  const round = await runner.runOnce();

  const k = Math.ceil((3 * MB - before) / SEG_BYTES);
  assert.deepEqual(
    round.deleted.map((d) => d.id),
    written.slice(0, k).map((w) => w.id),
    'the oldest k, in order',
  );
  assert.ok(round.deleted.every((d) => d.reason === 'low-space' && d.storagePath === root));
  assert.equal(round.failed, 0);
  assert.ok(freeBytes(root) >= 3 * MB, `bound met: ${freeBytes(root)} free`);
  assert.ok(freeBytes(root) - SEG_BYTES < 3 * MB, 'and not one segment more deleted than needed');
  assert.deepEqual(
    filesOn(root),
    written
      .slice(k)
      .map((w) => w.path)
      .sort(),
    'the files left are the newest ones',
  );
  assert.equal(index.oldestCopies(root, 10_000).length, written.length - k, 'their rows are gone with them');
  assert.equal(runner.status().deleted['low-space'], k);
  assert.equal(runner.status().paths[0].requiredFreeBytes, 3 * MB);

  assert.deepEqual((await runner.runOnce()).deleted, [], 'a second round has nothing to do');
});

test('8 MB tmpfs: 30 MB recorded through it while the runner runs; no write fails and only the newest stay', {
  timeout: 30_000,
}, async (t) => {
  const root = mountTmpfs(t, 8 * MB);
  const index = openIndex(t);
  const runner = new RetentionRunner({
    index,
    paths: [root],
    policy: policy({ minFreeBytes: 2 * MB, minFreePercent: 10 }),
    log,
    intervalMs: 25,
  });
  runner.start();
  t.after(() => runner.close());
  const written: { id: number; path: string }[] = [];
  for (let i = 0; i < 300; i++) {
    written.push(writeSegment(index, [root], `cam${i % 3}`, T0 + i * 1000));
    if (freeBytes(root) < 2 * MB) runner.nudge(); // as the recorder does when a write finds little space
    // On a starved machine the runner's timer may come late: wait for a round rather than fail on
    // ENOSPC, since what this test checks is which footage goes, not how fast.
    if (freeBytes(root) < MB) await runner.runOnce();
    await delay(10); // 10 MB/s: the footage of ~80 cameras at 1 Mbit/s
  }
  await runner.close();
  await runner.runOnce();

  const kept = filesOn(root);
  const firstKept = written.findIndex((w) => kept.includes(w.path));
  assert.ok(firstKept > 200, `most of 30 MB had to go (first kept: ${firstKept})`);
  assert.deepEqual(
    kept,
    written
      .slice(firstKept)
      .map((w) => w.path)
      .sort(),
    'what is left is an unbroken run of the newest',
  );
  assert.equal(index.oldestCopies(root, 10_000).length, kept.length, 'index and disk agree');
  assert.equal(runner.status().deleted['low-space'], firstKept);
  assert.ok(freeBytes(root) >= 2 * MB);
});

/** A real file system with free space set by the test. */
function spaceFs(
  space: Map<string, number>,
  total = 100 * MB,
): Pick<StorageFs, 'statfs' | 'remove' | 'removeEmptyDir'> {
  return { ...nodeStorageFs, statfs: async (p) => ({ totalBytes: total, freeBytes: space.get(p) ?? total }) };
}

test('max storage days per camera stream; metadata kept longer is marked video_deleted, then purged', async (t) => {
  const root = tempDir(t, 'vigil-retention-days-');
  const index = openIndex(t);
  let now = T0 + 10 * DAY_MS;
  const days = (c: string, s: number) => (c === 'cam1' ? [3, 20][s] : 0);
  const mk = (keep: boolean) =>
    new RetentionRunner({
      index,
      paths: [root],
      log,
      clock: { now: () => now },
      fs: spaceFs(new Map()),
      policy: policy({ maxDays: days, keepMetadataLonger: keep, metadataStorageDays: 30 }),
    });
  const old0 = writeSegment(index, [root], 'cam1', T0, 10, 0); // 10 days old, stream 0: past 3 days
  const old1 = writeSegment(index, [root], 'cam1', T0 + 3_600_000, 10, 1); // stream 1: within 20 days; the next hour folder
  const other = writeSegment(index, [root], 'cam2', T0 + 2000, 10, 0); // no limit
  const young = writeSegment(index, [root], 'cam1', now - DAY_MS, 10, 0);

  const r = await mk(true).runOnce();
  assert.deepEqual(
    r.deleted.map((d) => [d.id, d.reason]),
    [[old0.id, 'max-days']],
  );
  assert.equal(existsSync(join(root, old0.path)), false);
  for (const s of [old1, other, young]) assert.equal(existsSync(join(root, s.path)), true);
  assert.equal(index.list('cam1', 0, Infinity).length, 3, 'the row is kept for reporting');
  assert.deepEqual(
    index.listRecorded('cam1', 0, Infinity).map((s) => s.id),
    [young.id],
    'but playback no longer sees it',
  );
  assert.deepEqual(
    index.listRecorded('cam1', 0, Infinity, 1).map((s) => s.id),
    [old1.id],
    'stream 1 is listed on its own',
  );
  assert.equal(existsSync(dirname(join(root, old0.path))), false, 'its emptied hour folder is removed');
  assert.equal(existsSync(dirname(dirname(join(root, old0.path)))), false, 'and its emptied day folder');
  assert.equal(existsSync(join(root, old1.path)), true, "stream 1's tree (cam1~1) is its own, untouched");

  now = T0 + 31 * DAY_MS; // metadata past its 30 days; stream 1 past its 20
  const runner = mk(true);
  const r2 = await runner.runOnce();
  assert.deepEqual(r2.deleted.map((d) => d.id).sort(), [old1.id, young.id].sort());
  // old0 and old1 ended more than 30 days ago: their rows go; young's row stays, marked.
  assert.equal(runner.status().metadataPurged, 2);
  assert.deepEqual(
    index.list('cam1', 0, Infinity).map((s) => s.id),
    [young.id],
  );
  assert.deepEqual(index.listRecorded('cam1', 0, Infinity), []);

  const r3 = await mk(false).runOnce();
  assert.deepEqual(r3.deleted, [], 'files already deleted are not deleted again');
  assert.deepEqual(
    index.list('cam2', 0, Infinity).map((s) => s.id),
    [other.id],
  );
});

test('redundant copies: only the full disk loses its copy; the row goes with the last copy', async (t) => {
  const a = tempDir(t, 'vigil-retention-a-');
  const b = tempDir(t, 'vigil-retention-b-');
  const index = openIndex(t);
  const space = new Map([
    [a, 50 * MB],
    [b, 1 * MB],
  ]);
  const runner = new RetentionRunner({
    index,
    paths: [a, b],
    log,
    fs: spaceFs(space),
    policy: policy({ minFreeBytes: 2 * MB }),
  });
  const s1 = writeSegment(index, [a, b], 'cam1', T0, MB);
  const s2 = writeSegment(index, [a, b], 'cam1', T0 + 1000, MB);

  const r = await runner.runOnce();
  assert.deepEqual(
    r.deleted.map((d) => [d.id, d.storagePath]),
    [[s1.id, b]],
  );
  assert.equal(existsSync(join(a, s1.path)), true);
  assert.equal(existsSync(join(b, s1.path)), false);
  assert.equal(index.list('cam1', 0, Infinity).length, 2);

  space.set(a, 0);
  space.set(b, 50 * MB);
  const r2 = await runner.runOnce();
  assert.deepEqual(
    r2.deleted.map((d) => [d.id, d.storagePath]),
    [
      [s1.id, a],
      [s2.id, a],
    ],
  );
  assert.deepEqual(
    index.list('cam1', 0, Infinity).map((s) => s.id),
    [s2.id],
    's2 still has its copy on b',
  );
});

test('a delete that fails keeps its row and is retried next round; a file already gone is fine', async (t) => {
  const root = tempDir(t, 'vigil-retention-fail-');
  const index = openIndex(t);
  let failNext = true;
  const fs = spaceFs(new Map([[root, 0]]));
  const flaky = {
    ...fs,
    remove: async (f: string) => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      }
      return fs.remove(f);
    },
  };
  // 20 bytes to free, two 10-byte segments: both are due.
  const runner = new RetentionRunner({ index, paths: [root], log, fs: flaky, policy: policy({ minFreeBytes: 20 }) });
  const s1 = writeSegment(index, [root], 'cam1', T0, 10);
  const s2 = writeSegment(index, [root], 'cam1', T0 + 1000, 10);
  rmSync(join(root, s2.path)); // gone already, e.g. deleted by hand

  const r = await runner.runOnce();
  assert.equal(r.failed, 1);
  assert.deepEqual(
    r.deleted.map((d) => d.id),
    [s2.id],
  );
  assert.deepEqual(
    index.list('cam1', 0, Infinity).map((s) => s.id),
    [s1.id],
  );
  const r2 = await runner.runOnce();
  assert.deepEqual(
    r2.deleted.map((d) => d.id),
    [s1.id],
  );
  assert.equal(runner.status().failedDeletes, 1);
  assert.equal(index.list('cam1', 0, Infinity).length, 0);
});

test('rows indexed without a storage path (add(), the rebuild) are adopted by legacyRoot and retained like the rest', async (t) => {
  const root = tempDir(t, 'vigil-retention-legacy-');
  const index = openIndex(t);
  const path = segmentRelPath('cam1', T0, 'n1');
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), 'x');
  index.add({ cameraId: 'cam1', startMs: T0, endMs: T0 + 1000, path, bytes: 1 });
  const runner = new RetentionRunner({
    index,
    paths: [root],
    legacyPath: root,
    log,
    fs: spaceFs(new Map([[root, 0]])),
    policy: policy({ minFreeBytes: 1 }),
  });
  assert.deepEqual(
    (await runner.runOnce()).deleted.map((d) => d.storagePath),
    [root],
  );
  assert.equal(existsSync(join(root, path)), false);
  assert.equal(index.list('cam1', 0, Infinity).length, 0);
  assert.equal(index.adoptOrphans(root).adopted, 0);
});

test('an index created before storage paths gains the new columns and table in place', (t) => {
  const file = join(tempDir(t, 'vigil-retention-migrate-'), 'index.sqlite');
  const db = new Database(file);
  db.exec(`CREATE TABLE segments (id INTEGER PRIMARY KEY AUTOINCREMENT, camera_id TEXT NOT NULL, start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL, path TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL, reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1)))`);
  db.prepare(
    "INSERT INTO segments (camera_id, start_ms, end_ms, path, bytes) VALUES ('cam1', 1, 2, 'cam1/a.ts', 5)",
  ).run();
  db.close();
  const index = new LocalIndex(file);
  t.after(() => index.close());
  assert.deepEqual(index.cameraStreams(), [{ cameraId: 'cam1', stream: 0 }]);
  assert.equal(index.adoptOrphans('/old').adopted, 1);
  assert.equal(index.oldestCopies('/old', 10)[0].path, 'cam1/a.ts');
  index.addStored({ cameraId: 'cam1', startMs: 3, endMs: 4, path: 'cam1/b.ts', bytes: 1, stream: 1 }, ['/new']);
  index.addStored({ cameraId: 'cam0', startMs: 3, endMs: 4, path: 'cam0/b.ts', bytes: 1 }, ['/new']);
  assert.deepEqual(index.cameraStreams(), [
    { cameraId: 'cam0', stream: 0 },
    { cameraId: 'cam1', stream: 0 },
    { cameraId: 'cam1', stream: 1 },
  ]);
});

test("retention tells which segments it left with no copy: the segment chain's prune mark", async (t) => {
  const a = tempDir(t, 'vigil-retention-chain-a-');
  const b = tempDir(t, 'vigil-retention-chain-b-');
  const index = openIndex(t);
  const told: number[][] = [];
  const now = T0 + 10 * DAY_MS;
  const runner = new RetentionRunner({
    index,
    paths: [a, b],
    log,
    clock: { now: () => now },
    fs: spaceFs(new Map()),
    policy: policy({ maxDays: () => 3 }),
    onDeleted: (ids) => told.push(ids),
  });
  const both = writeSegment(index, [a, b], 'cam1', T0, 10); // two copies, both past 3 days
  const young = writeSegment(index, [a], 'cam1', now - DAY_MS, 10);
  await runner.runOnce();
  assert.deepEqual(told, [[both.id]], 'once, when its last copy went; not the young one');
  assert.equal(existsSync(join(a, young.path)), true);
});
