import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/log.ts';
import type { WaitingSegment } from '../storage/segment-sink.ts';
import { BufferTarget } from './buffer-target.ts';

const log = createLogger('test', 'silent');

/** A buffer over a fresh staging folder; `stage` writes a run's segment file and returns it as held. */
function setup(t: TestContext, ms: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-buffer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const buffer = new BufferTarget({ ms, stagingDir: dir, log });
  const stage = (run: string, n: number): WaitingSegment => {
    const staged = join(dir, `${run}-${String(n).padStart(6, '0')}.ts`);
    writeFileSync(staged, 'x');
    return { staged, seg: { cameraId: 'cam1', stream: 0, startMs: n * 1000, endMs: n * 1000 + 1000, bytes: 1 } };
  };
  const files = () => readdirSync(dir).sort();
  return { dir, buffer, stage, files };
}

test('the buffer holds the window behind the newest end and deletes what falls out of it', async (t) => {
  const { buffer, stage, files } = setup(t, 2000);
  buffer.runStarting('a', 'a-');
  for (const n of [1, 2, 3, 4]) await buffer.take(stage('a', n), 'a');
  // newest end 5000: ends 3000, 4000 and 5000 are within 2 s of it
  assert.deepEqual(
    buffer.held().map((b) => b.startMs),
    [2000, 3000, 4000],
  );
  assert.equal(buffer.size, 3);
  assert.deepEqual(files(), ['a-000002.ts', 'a-000003.ts', 'a-000004.ts']);
});

test('an invalid segment is deleted from the buffer', async (t) => {
  const { buffer, stage, files } = setup(t, 2000);
  const bad = stage('a', 1);
  await buffer.invalid({ file: bad.staged, reason: 'file empty', startMs: undefined, endMs: 2000, runId: 'a' });
  assert.deepEqual(files(), []);
});

test("a new run's first segment deletes what earlier runs left unlisted, never a foreign file", async (t) => {
  const { buffer, stage, files, dir } = setup(t, 10_000);
  buffer.runStarting('a', 'a-');
  await buffer.take(stage('a', 1), 'a');
  stage('a', 2); // the killed run's unfinished file, never listed
  writeFileSync(join(dir, 'other-000001.ts'), 'x'); // another recorder's, adopted by a sink
  buffer.runStarting('b', 'b-');
  await buffer.take(stage('b', 3), 'b');
  assert.deepEqual(files(), ['a-000001.ts', 'b-000003.ts', 'other-000001.ts']);
});

test('promote hands over the segments ending after recordFromMs and deletes the rest and older runs', async (t) => {
  const { buffer, stage, files } = setup(t, 10_000);
  buffer.runStarting('a', 'a-');
  await buffer.take(stage('a', 1), 'a');
  stage('a', 2); // unlisted leftover of run a
  buffer.runStarting('b', 'b-');
  for (const n of [3, 4, 5]) await buffer.take(stage('b', n), 'b');
  stage('b', 6); // being written by the running ffmpeg: a recording from now on
  const { commit, dropped, cleanup } = buffer.promote(4500, 'b');
  assert.equal(buffer.size, 0, 'emptied at once');
  assert.deepEqual(
    commit.map((w) => w.seg.startMs),
    [4000, 5000],
  );
  assert.equal(dropped, 2);
  await cleanup;
  assert.deepEqual(files(), ['b-000004.ts', 'b-000005.ts', 'b-000006.ts']);
});

test('promote without recordFromMs hands over every held segment', async (t) => {
  const { buffer, stage } = setup(t, 10_000);
  buffer.runStarting('a', 'a-');
  for (const n of [1, 2]) await buffer.take(stage('a', n), 'a');
  const { commit, dropped, cleanup } = buffer.promote(undefined, 'a');
  await cleanup;
  assert.deepEqual([commit.length, dropped], [2, 0]);
});

test('nothing of a buffer outlives its close, the running run included', async (t) => {
  const { buffer, stage, files } = setup(t, 10_000);
  buffer.runStarting('a', 'a-');
  await buffer.take(stage('a', 1), 'a');
  stage('a', 2);
  await buffer.close();
  assert.deepEqual(files(), []);
  assert.equal(buffer.size, 0);
});
