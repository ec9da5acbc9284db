import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalIndex } from '../storage/local-index.ts';
import { segmentRelPath } from '../storage/layout.ts';
import { listDiskFiles } from './disk-files.ts';

const T = Date.UTC(2026, 0, 1, 10, 59, 58);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('files are listed from the disks with the size and hash of their bytes now: changed, missing and unindexed ones too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-disk-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const index = new LocalIndex(':memory:');
  t.after(() => index.close());
  const put = (root: string, rel: string, bytes: Buffer) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), bytes);
  };
  const rel = (n: number, node = 'n1') => segmentRelPath('cam', T + n * 2000, node);
  const bytes = (n: number) => Buffer.from(`segment ${n}`);
  // 0: on both paths (redundant), 1: its file flipped on b, 2: gone from disk, 3: on disk, not indexed
  // (in the next hour folder), 4: another server's file on a shared path, 5: outside the range.
  for (const n of [0, 1, 2]) {
    put(a, rel(n), bytes(n));
    put(b, rel(n), n === 1 ? Buffer.from('flipped!!') : bytes(n));
    const id = index.addStored(
      { cameraId: 'cam', startMs: T + n * 2000, endMs: T + n * 2000 + 2000, path: rel(n), bytes: bytes(n).length },
      [a, b],
    );
    if (n === 0) index.markReported([id]);
  }
  unlinkSync(join(a, rel(2)));
  unlinkSync(join(b, rel(2)));
  put(a, rel(3), bytes(3));
  put(a, rel(4, 'n2'), bytes(4));
  put(a, rel(5), bytes(5));
  const files = await listDiskFiles(
    { nodeId: 'n1', index, roots: () => [a, b], storagePaths: () => [a, b] },
    'cam',
    0,
    T,
    T + 10_000,
  );
  const view = files.map((f) => [f.startMs - T, f.indexed, f.pending ?? false, f.missing ?? false, f.bytes, f.sha256]);
  assert.deepEqual(view, [
    [0, true, false, false, 9, sha(bytes(0))],
    [0, true, false, false, 9, sha(bytes(0))],
    [2000, true, true, false, 9, sha(bytes(1))],
    [2000, true, true, false, 9, sha(Buffer.from('flipped!!'))],
    [4000, true, true, true, undefined, undefined],
    [6000, false, false, false, 9, sha(bytes(3))],
  ]);
  assert.ok(new Date(T + 6000).getUTCHours() !== new Date(T).getUTCHours(), 'the unindexed file lies in the next hour');
});
