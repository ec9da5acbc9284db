import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CopyBacks, type CopyBackStore } from './copy-backs.ts';
import { createLogger } from '../lib/log.ts';
import type { FailoverDetail, FailoverEntry } from '../store/failover-log.ts';
import type { Interval } from '../store/store.ts';
import type { NodeStatus } from '../protocol/status.ts';

const T = 1_000_000;

/** An in-memory store with just the operations copy-back tracking uses. */
function fakeStore(entries: FailoverEntry[], intervals: Interval[]) {
  const removed: unknown[][] = [];
  const store: CopyBackStore = {
    failover: async (id) => structuredClone(entries.find((e) => e.id === id)),
    updateFailover: async (id, status, detail) => {
      const e = entries.find((x) => x.id === id)!;
      Object.assign(e, { status, detail: structuredClone(detail) });
    },
    recordings: async (camera, _from, _to, stream = 0) =>
      stream === 0 ? intervals.filter((i) => i.camera === camera) : [],
    removeRecordings: async (...args) => {
      removed.push(args);
      return 1;
    },
  };
  return { store, removed };
}
const failback = (): FailoverEntry => ({
  id: 2,
  startedAt: T,
  server: 'a',
  group: 1,
  trigger: 'failback',
  status: 'running',
  detail: { planned: true, reporters: [], firstReportAt: T, confirmedAt: T, moves: [], unrecorded: [], steps: [] },
});
const report = (id: string, state: 'running' | 'done' | 'failed', done: number) =>
  ({
    id,
    camera: 'ca',
    stream: 0,
    source: { server: 'n', url: 'x' },
    fromMs: 0,
    toMs: 0,
    state,
    segments: 2,
    segmentsDone: done,
    bytes: 2000,
    bytesDone: done * 1000,
    percent: done * 50,
    rateBytesPerSec: 1000,
    etaMs: null,
  }) satisfies NonNullable<NodeStatus['copyBack']>[number];

test('copy-back on an in-memory store: planned per source, handed out once due and its source runs, done forgets the source intervals', async () => {
  const entry = failback();
  const { store, removed } = fakeStore(
    [entry],
    [
      { camera: 'ca', server: 'n', startMs: T - 5000, endMs: T - 1000 },
      { camera: 'ca', server: 'a', startMs: T - 9000, endMs: T - 6000 },
    ],
  );
  let sourceUp = false;
  const open: FailoverDetail = structuredClone(entry.detail);
  const copies = new CopyBacks(
    {
      sourceUrl: (id) => (sourceUp && id === 'n' ? 'http://n' : undefined),
      openDetail: (id) => (id === 2 ? open : undefined),
      hasServer: () => true,
    },
    store,
    createLogger('test', 'silent'),
  );
  const jobs = await copies.plan(2, 'ca', 'a', 1, T);
  assert.deepEqual(
    jobs.map((j) => [j.id, j.source, j.fromMs, j.state]),
    [['fb2-ca~0-n', 'n', T - 5000, 'pending']],
    "one job: the home server's own footage stays",
  );
  entry.detail.copyBack = structuredClone(jobs);
  assert.deepEqual(copies.forHome('a', T + 10_000), [], 'not while its source does not run');
  sourceUp = true;
  assert.equal(copies.startDue(T + 1000), false, 'not before the old server had time to stop');
  assert.deepEqual(copies.forHome('a', T + 1000), []);
  assert.equal(copies.startDue(T + 5000), true);
  assert.deepEqual(
    copies.forHome('a', T + 5000).map((j) => [j.id, j.source]),
    [['fb2-ca~0-n', { server: 'n', url: 'http://n' }]],
  );
  await copies.progress('a', [report('fb2-ca~0-n', 'running', 1)]);
  assert.equal(copies.list()[0].progress!.percent, 50);
  assert.equal(entry.detail.copyBack![0].progress!.percent, 50, 'progress is saved in the failback entry');
  await copies.progress('n', [report('fb2-ca~0-n', 'done', 2)]);
  assert.equal(copies.list().length, 1, 'only its home server reports a job');
  await copies.progress('a', [report('fb2-ca~0-n', 'done', 2)]);
  assert.deepEqual(copies.list(), []);
  assert.deepEqual(removed, [['ca', 'n', T - 5000, jobs[0].toMs, 0]]);
  assert.deepEqual(
    [entry.detail.copyBack![0].state, open.copyBack![0].state],
    ['done', 'done'],
    'the entry and its open copy agree',
  );
});

test('copy-back jobs read at start are taken up unless finished; a job whose server left the configuration fails', async () => {
  const entry = failback();
  const { store } = fakeStore([entry], []);
  const base = { logId: 2, camera: 'ca', stream: 0, home: 'a', fromMs: 0, toMs: 1, notBefore: 0 };
  entry.detail.copyBack = [
    { ...base, id: 'j1', source: 'n', state: 'running' },
    { ...base, id: 'j2', source: 'm', state: 'done' },
    { ...base, id: 'j3', source: 'gone', state: 'pending' },
  ];
  const copies = new CopyBacks(
    { sourceUrl: () => undefined, openDetail: () => undefined, hasServer: (id) => id !== 'gone' },
    store,
    createLogger('test', 'silent'),
  );
  copies.restore(structuredClone(entry));
  assert.deepEqual(
    copies.list().map((j) => j.id),
    ['j1', 'j3'],
  );
  await copies.configChanged();
  assert.deepEqual(
    copies.list().map((j) => j.id),
    ['j1'],
  );
  assert.deepEqual(
    entry.detail.copyBack.map((j) => [j.id, j.state, j.error ?? null]),
    [
      ['j1', 'running', null],
      ['j2', 'done', null],
      ['j3', 'failed', 'its server is no longer in the configuration'],
    ],
  );
});
