import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIndex } from './local-index.ts';

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-index-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const seg = (cameraId: string, startMs: number, endMs = startMs + 1000) => ({
  cameraId,
  startMs,
  endMs,
  path: `${cameraId}/x/${startMs}_n.ts`,
  bytes: 100 + startMs,
});

test('segments survive close and reopen, unreported ones oldest first', () => {
  withTempDir((dir) => {
    const file = join(dir, 'index.db');
    let idx = new LocalIndex(file);
    const a = idx.add(seg('c1', 1000));
    const b = idx.add(seg('c2', 1500));
    const c = idx.add(seg('c1', 2000));
    assert.deepEqual([a, b, c], [a, a + 1, a + 2]);
    idx.close();

    idx = new LocalIndex(file);
    try {
      assert.deepEqual(
        idx.unreported(10).map((s) => s.id),
        [a, b, c],
      );
      assert.deepEqual(
        idx.unreported(2).map((s) => s.id),
        [a, b],
      );
      assert.deepEqual(idx.unreported(1)[0], { id: a, ...seg('c1', 1000), reported: false, stream: 0 });
      idx.markReported([a, c, 999]);
      assert.deepEqual(
        idx.unreported(10).map((s) => s.id),
        [b],
      );
    } finally {
      idx.close();
    }
    idx = new LocalIndex(file);
    try {
      assert.deepEqual(
        idx.unreported(10).map((s) => s.id),
        [b],
      );
      assert.equal(idx.list('c1', 0, 10_000)[0].reported, true);
    } finally {
      idx.close();
    }
  });
});

test('list gives one camera’s segments overlapping the window, in time order', () => {
  withTempDir((dir) => {
    const idx = new LocalIndex(join(dir, 'index.db'));
    try {
      idx.add(seg('c1', 3000));
      idx.add(seg('c1', 1000));
      idx.add(seg('c1', 2000));
      idx.add(seg('c2', 2000));
      const starts = (from: number, to: number) => idx.list('c1', from, to).map((s) => s.startMs);
      assert.deepEqual(starts(0, 10_000), [1000, 2000, 3000]);
      assert.deepEqual(starts(1999, 3000), [1000, 2000]); // [1000,2000) overlaps at 1999; 3000 starts at the end
      assert.deepEqual(starts(2000, 2001), [2000]);
      assert.deepEqual(starts(4000, 5000), []);
      assert.deepEqual(idx.list('nope', 0, 10_000), []);
    } finally {
      idx.close();
    }
  });
});

test('the same path cannot be indexed twice', () => {
  withTempDir((dir) => {
    const idx = new LocalIndex(join(dir, 'index.db'));
    try {
      idx.add(seg('c1', 1000));
      assert.throws(() => idx.add(seg('c1', 1000)), /UNIQUE/);
    } finally {
      idx.close();
    }
  });
});

test('the database runs in WAL mode', () => {
  withTempDir((dir) => {
    const file = join(dir, 'index.db');
    const idx = new LocalIndex(file);
    idx.close();
    const again = new LocalIndex(file);
    try {
      // the handle is private: the mode is a storage detail, not API
      const db = (again as unknown as { db: { pragma(q: string, o: object): unknown } }).db;
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      again.close();
    }
  });
});

test('removeSegment forgets a segment and all its copies, once', () => {
  withTempDir((dir) => {
    const idx = new LocalIndex(join(dir, 'index.db'));
    try {
      const a = idx.addStored(seg('c1', 1000), ['/a', '/b']);
      const legacy = idx.add(seg('c1', 2000)); // indexed before storage paths: no copy rows
      const other = idx.addStored(seg('c1', 3000), ['/a']);
      assert.equal(idx.removeSegment(a), true);
      assert.equal(idx.removeSegment(legacy), true);
      assert.equal(idx.get(a), undefined);
      assert.deepEqual(idx.copies(a), []);
      assert.deepEqual(
        idx.listRecorded('c1', 0, 10_000).map((s) => s.id),
        [other],
      );
      assert.deepEqual(
        idx.oldestCopies('/a', 10).map((c) => c.id),
        [other],
        'retention no longer sees its copies',
      );
      assert.equal(idx.removeSegment(a), false, 'a second time: unknown');
      assert.equal(idx.removeSegment(999), false);
    } finally {
      idx.close();
    }
  });
});

test('a checksum is kept per segment with the fingerprint it was taken at, also in an index from before checksums', () => {
  withTempDir((dir) => {
    const file = join(dir, 'index.db');
    // An index as written before the checksum columns (and before storage paths) existed.
    const db = new Database(file);
    db.exec(`CREATE TABLE segments (id INTEGER PRIMARY KEY AUTOINCREMENT, camera_id TEXT NOT NULL, start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL, path TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL, reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1)))`);
    const old = Number(
      db
        .prepare("INSERT INTO segments (camera_id, start_ms, end_ms, path, bytes) VALUES ('c1', 1, 2, 'c1/a.ts', 5)")
        .run().lastInsertRowid,
    );
    db.close();
    const idx = new LocalIndex(file);
    try {
      assert.equal(idx.checksum(old), undefined, 'none until one is taken');
      idx.setChecksum(old, 'ab'.repeat(32), '1:2:5:3:4');
      assert.deepEqual(idx.checksum(old), { sha256: 'ab'.repeat(32), stat: '1:2:5:3:4' });
      const fresh = idx.addStored(seg('c1', 1000), ['/a']);
      assert.equal(idx.checksum(fresh), undefined);
      idx.setChecksum(999, 'cd'.repeat(32), 'x'); // unknown: ignored
      assert.equal(idx.checksum(999), undefined);
    } finally {
      idx.close();
    }
  });
});
