import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterSegment, chunks, nextChunk, progress, take, toCopy, type Counters } from './copy-progress.ts';

const H = 3_600_000;

test('a range is cut into chunks of at most chunkMs, the last one short', () => {
  const cases: { range: [number, number]; chunkMs: number; want: [number, number][] }[] = [
    { range: [0, 24 * H], chunkMs: 24 * H, want: [[0, 24 * H]] },
    {
      range: [0, 50 * H],
      chunkMs: 24 * H,
      want: [
        [0, 24 * H],
        [24 * H, 48 * H],
        [48 * H, 50 * H],
      ],
    },
    {
      range: [1000, 4000],
      chunkMs: 1000,
      want: [
        [1000, 2000],
        [2000, 3000],
        [3000, 4000],
      ],
    },
    { range: [5, 5], chunkMs: 1000, want: [] },
  ];
  for (const c of cases) {
    assert.deepEqual(
      chunks({ fromMs: c.range[0], toMs: c.range[1] }, c.chunkMs).map((r) => [r.fromMs, r.toMs]),
      c.want,
      JSON.stringify(c),
    );
  }
  assert.equal(nextChunk(4000, 4000, 1000), undefined, 'a cursor at the end: done');
  assert.throws(() => nextChunk(0, 10, 0), /positive/);
});

test('a chunk copies the segments starting in it, oldest first, each once', () => {
  const s = (id: number, startMs: number) => ({ id, startMs, endMs: startMs + 1000 });
  const cases: {
    name: string;
    listed: ReturnType<typeof s>[];
    chunk: [number, number];
    jobFrom: number;
    want: number[];
  }[] = [
    {
      name: 'sorted by start, then id',
      listed: [s(3, 2500), s(1, 2000), s(2, 2000)],
      chunk: [2000, 3000],
      jobFrom: 0,
      want: [1, 2, 3],
    },
    {
      name: 'one crossing the start belongs to the chunk before',
      listed: [s(1, 1500), s(2, 2000)],
      chunk: [2000, 3000],
      jobFrom: 0,
      want: [2],
    },
    {
      name: 'the first chunk takes one starting before the job',
      listed: [s(1, 1500), s(2, 2000)],
      chunk: [2000, 3000],
      jobFrom: 2000,
      want: [1, 2],
    },
    {
      name: 'a duplicate is copied once',
      listed: [s(1, 2000), s(1, 2000)],
      chunk: [2000, 3000],
      jobFrom: 0,
      want: [1],
    },
    { name: 'nothing starting at the end', listed: [s(1, 3000)], chunk: [2000, 3000], jobFrom: 0, want: [] },
    { name: 'empty listing', listed: [], chunk: [2000, 3000], jobFrom: 2000, want: [] },
  ];
  for (const c of cases)
    assert.deepEqual(
      toCopy(c.listed, { fromMs: c.chunk[0], toMs: c.chunk[1] }, c.jobFrom).map((x) => x.id),
      c.want,
      c.name,
    );
});

test('progress: percent by bytes, rate over the current run, time left at that rate', () => {
  const c = (o: Partial<Counters>): Counters => ({
    state: 'running',
    segments: 10,
    segmentsDone: 0,
    bytes: 1000,
    bytesDone: 0,
    ...o,
  });
  const cases: {
    name: string;
    c: Counters;
    run?: { startedMs: number; bytesDoneAtStart: number };
    now: number;
    frozen?: number;
    want: ReturnType<typeof progress>;
  }[] = [
    { name: 'queued: nothing known', c: c({}), now: 0, want: { percent: 0, rateBytesPerSec: 0, etaMs: null } },
    {
      name: 'just started',
      c: c({}),
      run: { startedMs: 100, bytesDoneAtStart: 0 },
      now: 100,
      want: { percent: 0, rateBytesPerSec: 0, etaMs: null },
    },
    {
      name: 'a quarter in 1 s',
      c: c({ bytesDone: 250 }),
      run: { startedMs: 0, bytesDoneAtStart: 0 },
      now: 1000,
      want: { percent: 25, rateBytesPerSec: 250, etaMs: 3000 },
    },
    {
      name: 'resumed: the earlier run counts for percent, not rate',
      c: c({ bytesDone: 600 }),
      run: { startedMs: 5000, bytesDoneAtStart: 500 },
      now: 6000,
      want: { percent: 60, rateBytesPerSec: 100, etaMs: 4000 },
    },
    {
      name: 'rounded down to one decimal',
      c: c({ bytes: 3, bytesDone: 2 }),
      run: { startedMs: 0, bytesDoneAtStart: 0 },
      now: 1000,
      want: { percent: 66.6, rateBytesPerSec: 2, etaMs: 500 },
    },
    {
      name: 'done: 100 %, nothing left',
      c: c({ state: 'done', bytesDone: 1000 }),
      now: 9,
      frozen: 400,
      want: { percent: 100, rateBytesPerSec: 400, etaMs: 0 },
    },
    {
      name: 'done with nothing to copy',
      c: c({ state: 'done', segments: 0, bytes: 0 }),
      now: 9,
      want: { percent: 100, rateBytesPerSec: 0, etaMs: 0 },
    },
    {
      name: 'failed: no time left to tell',
      c: c({ state: 'failed', bytesDone: 500 }),
      now: 9,
      frozen: 50,
      want: { percent: 50, rateBytesPerSec: 50, etaMs: null },
    },
    {
      name: 'more done than counted never shows over 100',
      c: c({ bytesDone: 1200 }),
      run: { startedMs: 0, bytesDoneAtStart: 0 },
      now: 1000,
      want: { percent: 100, rateBytesPerSec: 1200, etaMs: 0 },
    },
  ];
  for (const x of cases) assert.deepEqual(progress(x.c, x.run, x.now, x.frozen), x.want, x.name);
});

test('afterSegment counts a segment and grows totals the first count missed', () => {
  const c: Counters = { state: 'running', segments: 2, segmentsDone: 1, bytes: 300, bytesDone: 100 };
  assert.deepEqual(afterSegment(c, 200), { ...c, segmentsDone: 2, bytesDone: 300 });
  assert.deepEqual(afterSegment(afterSegment(c, 200), 50), {
    ...c,
    segments: 3,
    segmentsDone: 3,
    bytes: 350,
    bytesDone: 350,
  });
});

test('the token bucket lets a burst through, then paces at the rate', () => {
  const rate = 1000; // bytes per second
  const burst = 500;
  const cases: {
    name: string;
    bucket: { tokens: number; atMs: number };
    bytes: number;
    now: number;
    want: { tokens: number; waitMs: number };
  }[] = [
    {
      name: 'within the burst: no wait',
      bucket: { tokens: 500, atMs: 0 },
      bytes: 300,
      now: 0,
      want: { tokens: 200, waitMs: 0 },
    },
    {
      name: 'over: wait off the debt',
      bucket: { tokens: 500, atMs: 0 },
      bytes: 1500,
      now: 0,
      want: { tokens: -1000, waitMs: 1000 },
    },
    {
      name: 'refills with time',
      bucket: { tokens: -1000, atMs: 0 },
      bytes: 100,
      now: 1000,
      want: { tokens: -100, waitMs: 100 },
    },
    {
      name: 'refill capped at the burst',
      bucket: { tokens: 0, atMs: 0 },
      bytes: 600,
      now: 60_000,
      want: { tokens: -100, waitMs: 100 },
    },
    {
      name: 'a clock going back refills nothing',
      bucket: { tokens: 0, atMs: 1000 },
      bytes: 10,
      now: 500,
      want: { tokens: -10, waitMs: 10 },
    },
  ];
  for (const c of cases) {
    const r = take(c.bucket, c.bytes, c.now, rate, burst);
    assert.deepEqual({ tokens: r.bucket.tokens, waitMs: r.waitMs }, c.want, c.name);
    assert.equal(r.bucket.atMs, c.now, c.name);
  }
  // Long run: 10 000 bytes in 100-byte chunks, waiting as told, take (10 000 − burst) / rate.
  let b = { tokens: burst, atMs: 0 };
  let now = 0;
  for (let i = 0; i < 100; i++) {
    const r = take(b, 100, now, rate, burst);
    b = r.bucket;
    now += r.waitMs;
  }
  assert.equal(now, 9500);
});
