import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../lib/errors.ts';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIndex } from './local-index.ts';
import type { ChainedSegment } from './segment-chain.ts';
import { StorageSink, storeInOrder, type WaitingSegment } from './segment-sink.ts';
import type { StoragePaths } from './storage-paths.ts';

const item = (n: number): WaitingSegment => ({
  staged: `/s/${n}.ts`,
  seg: { cameraId: 'c', stream: 0, startMs: n * 1000, endMs: n * 1000 + 1000, bytes: 1 },
});

test('waiting segments are stored oldest first; an outage of all storage stops the drain and keeps the rest in order', async () => {
  const queue = [1, 2, 3, 4].map(item);
  const stored: number[] = [];
  const refused: number[] = [];
  let down = false;
  const sink = {
    async commit(staged: string, seg: WaitingSegment['seg']) {
      if (down) throw new VigilError('STORAGE_ALL_FAILED', 'no path', 503);
      if (seg.startMs === 2000) throw new VigilError('SEGMENT_EXISTS', 'exists', 409);
      if (seg.startMs === 3000) down = true; // this one is stored, the next finds every path gone
      return { id: seg.startMs, ...seg, path: staged, reported: false };
    },
  };
  const on = {
    stored: (s: { startMs: number }) => void stored.push(s.startMs / 1000),
    refused: (w: WaitingSegment) => void refused.push(w.seg.startMs / 1000),
  };
  assert.equal(await storeInOrder(queue, sink, on), false);
  assert.deepEqual([stored, refused, queue.map((w) => w.seg.startMs / 1000)], [[1, 3], [2], [4]]);
  down = false;
  assert.equal(await storeInOrder(queue, sink, on), true);
  assert.deepEqual([stored, queue], [[1, 3, 4], []]);
});

test("the sink tells the chain of each segment this server recorded, with its staged bytes' hash; never of a copy brought home", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sink-chain-'));
  const index = new LocalIndex(':memory:');
  t.after(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const chained: [number, ChainedSegment][] = [];
  const paths = { commit: async () => ({ written: ['/root'] }) } as unknown as StoragePaths;
  const sink = new StorageSink({
    nodeId: 's1',
    index,
    pathsFor: () => paths,
    chained: (id, seg) => chained.push([id, seg]),
  });
  const staged = join(dir, 'a.ts');
  writeFileSync(staged, 'the bytes');
  const own = await sink.commit(staged, { cameraId: 'c1', stream: 1, startMs: 5000, endMs: 6000, bytes: 9 });
  await sink.commit(staged, { cameraId: 'c1', stream: 1, startMs: 7000, endMs: 8000, bytes: 9, recordedBy: 's2' });
  assert.deepEqual(chained, [
    [
      own.id,
      {
        camera: 'c1',
        stream: 1,
        startMs: 5000,
        endMs: 6000,
        bytes: 9,
        sha256: createHash('sha256').update('the bytes').digest('hex'),
      },
    ],
  ]);
});

test('a committed segment carries the SHA-256 of its bytes, in the index and in what commit returns', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { createHash } = await import('node:crypto');
  const { LocalIndex } = await import('./local-index.ts');
  const { singlePathSink } = await import('../../test/support/test-sink.ts');
  const { createLogger } = await import('../lib/log.ts');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sink-'));
  const index = new LocalIndex(':memory:');
  const { sink, paths } = await singlePathSink(join(dir, 'store'), 'n1', index, createLogger('test', 'silent'));
  t.after(async () => {
    await paths.close();
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const staged = join(dir, 'staged.ts');
  const bytes = Buffer.from('some recorded bytes');
  writeFileSync(staged, bytes);
  const seg = await sink.commit(staged, {
    cameraId: 'cam',
    stream: 0,
    startMs: 1000,
    endMs: 3000,
    bytes: bytes.length,
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  assert.equal(seg.sha256, sha256);
  assert.equal(index.get(seg.id)?.sha256, sha256);
  assert.deepEqual(readFileSync(join(dir, 'store', seg.path)), bytes);
});
