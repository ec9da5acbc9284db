import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './store.ts';
import { withTestStore } from './test-db.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';
const T = 1_790_000_000_000;
const H = 'ab'.repeat(32);

const seg = (n: number, extra: object = {}) => ({
  camera: 'c1',
  startMs: T + n * 1000,
  endMs: T + n * 1000 + 1000,
  bytes: 100 + n,
  sha256: H,
  ...extra,
});
const intervals = async (store: Store, stream = 0) =>
  (await store.recordings('c1', T - 10_000, T + 100_000, stream))
    .map((r) => [r.server, r.startMs - T, r.endMs - T])
    .sort((a, b) => String(a).localeCompare(String(b)));

test(`${backend}: reported segments keep their size and hash; a file reported twice is one row`, () =>
  withTestStore(async (store) => {
    await store.addRecordings('s1', [seg(0), seg(1, { sha256: undefined, bytes: undefined })]);
    await store.addRecordings('s1', [seg(1, { bytes: 5 })]);
    await store.addRecordings('s2', [seg(1, { stream: 1 })]);
    const rows = await store.segments('c1', T, T + 10_000);
    assert.deepEqual(
      rows.map((r) => [r.server, r.startMs - T, r.bytes, r.sha256]),
      [
        ['s1', 0, 100, H],
        ['s1', 1000, undefined, undefined],
      ],
    );
    assert.equal((await store.segments('c1', T, T + 10_000, 1, 's2')).length, 1);
  }));

test(`${backend}: removed segments leave the server's intervals (trimmed, split, deleted), other servers' stay`, () =>
  withTestStore(async (store) => {
    await store.addRecordings(
      's1',
      [0, 1, 2, 3, 4, 5].map((n) => seg(n)),
    );
    await store.addRecordings(
      's2',
      [0, 1].map((n) => seg(n)),
    );
    await store.addRecordings('s1', [seg(0, { stream: 1 })]);
    assert.deepEqual(await intervals(store), [
      ['s1', 0, 6000],
      ['s2', 0, 2000],
    ]);
    // Retention takes the oldest, a release one in the middle.
    assert.equal(
      await store.removeSegments('s1', [
        { camera: 'c1', startMs: T, endMs: T + 1000 },
        { camera: 'c1', startMs: T + 3000, endMs: T + 4000 },
      ]),
      2,
    );
    assert.deepEqual(await intervals(store), [
      ['s1', 1000, 3000],
      ['s1', 4000, 6000],
      ['s2', 0, 2000],
    ]);
    // Removing all of what is left of an interval deletes it; a removal of something unknown changes nothing.
    await store.removeSegments('s1', [
      { camera: 'c1', startMs: T + 1000, endMs: T + 2000 },
      { camera: 'c1', startMs: T + 2000, endMs: T + 3000 },
      { camera: 'c1', startMs: T + 50_000, endMs: T + 51_000 },
    ]);
    assert.deepEqual(await intervals(store), [
      ['s1', 4000, 6000],
      ['s2', 0, 2000],
    ]);
    assert.deepEqual(await intervals(store, 1), [['s1', 0, 1000]], 'another stream is untouched');
    assert.deepEqual(
      (await store.segments('c1', T, T + 10_000, 0, 's1')).map((r) => r.startMs - T),
      [4000, 5000],
    );
  }));

test(`${backend}: a removed segment overlapping a kept neighbour by a few ms leaves the neighbour's time`, () =>
  withTestStore(async (store) => {
    await store.addRecordings('s1', [
      { camera: 'c1', startMs: T, endMs: T + 1020 },
      { camera: 'c1', startMs: T + 1000, endMs: T + 2000 },
    ]);
    await store.removeSegments('s1', [{ camera: 'c1', startMs: T, endMs: T + 1020 }]);
    assert.deepEqual(await intervals(store), [['s1', 1000, 2000]]);
  }));

test(`${backend}: a copy brought home and the server's own file of the same instant are two rows; removing the copy keeps the other's time`, () =>
  withTestStore(async (store) => {
    await store.addRecordings('s1', [seg(0), seg(0, { recordedBy: 's2', bytes: 5 })]);
    assert.deepEqual(
      (await store.segments('c1', T, T + 1000, 0, 's1')).map((r) => [r.recordedBy ?? null, r.bytes]),
      [
        [null, 100],
        ['s2', 5],
      ],
    );
    assert.equal(
      await store.removeSegments('s1', [{ camera: 'c1', recordedBy: 's2', startMs: T, endMs: T + 1000 }]),
      1,
    );
    assert.deepEqual(await intervals(store), [['s1', 0, 1000]]);
    assert.equal((await store.segments('c1', T, T + 1000, 0, 's1'))[0].recordedBy, undefined);
  }));
