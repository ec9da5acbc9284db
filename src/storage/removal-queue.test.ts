import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalIndex } from './local-index.ts';

const seg = (n: number, stream = 0) => ({
  cameraId: 'cam',
  stream,
  startMs: n * 1000,
  endMs: n * 1000 + 1000,
  path: `cam/${stream}/${n}.ts`,
  bytes: 10,
});

test('every removal of a segment is queued for the master, once, until acknowledged', () => {
  const index = new LocalIndex(':memory:');
  try {
    const ids = [1, 2, 3, 4].map((n) => index.addStored(seg(n, n === 4 ? 1 : 0), ['/p']));
    assert.equal(index.removals.size(), 0);
    index.removeSegment(ids[0]); // copy-back release
    index.removeCopies([{ id: ids[1], root: '/p' }], true); // retention keeping metadata
    index.removeCopies([{ id: ids[3], root: '/p' }], false); // retention
    index.purgeMetadata(Number.MAX_SAFE_INTEGER); // the kept row's purge is not a second removal
    const pending = index.removals.pending(10);
    assert.deepEqual(
      pending.map((r) => [r.cameraId, r.stream, r.startMs, r.endMs]),
      [
        ['cam', 0, 1000, 2000],
        ['cam', 0, 2000, 3000],
        ['cam', 1, 4000, 5000],
      ],
    );
    index.removals.acknowledge(pending.slice(0, 2).map((r) => r.id));
    assert.deepEqual(
      index.removals.pending(10).map((r) => r.startMs),
      [4000],
    );
    assert.ok(index.get(ids[2]), 'a segment not removed stays');
  } finally {
    index.close();
  }
});

test('a removal queued survives a restart of the index', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-removals-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'index.sqlite');
  const a = new LocalIndex(file);
  a.removeSegment(a.addStored(seg(7), ['/p']));
  a.close();
  const b = new LocalIndex(file);
  assert.deepEqual(
    b.removals.pending(10).map((r) => r.startMs),
    [7000],
  );
  b.close();
});

test('the committed sha256 is kept with the row; rows without one read back without it', () => {
  const index = new LocalIndex(':memory:');
  try {
    const a = index.addStored({ ...seg(1), sha256: 'ab'.repeat(32) }, ['/p']);
    const b = index.add(seg(2));
    assert.equal(index.get(a)?.sha256, 'ab'.repeat(32));
    assert.equal(index.get(b)?.sha256, undefined);
    index.setChecksum(a, 'cd'.repeat(32), 'stat'); // a later read of the file does not rewrite what was recorded
    assert.equal(index.get(a)?.sha256, 'ab'.repeat(32));
  } finally {
    index.close();
  }
});
