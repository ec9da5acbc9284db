import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FailoverEntry } from '../store/failover-log.ts';
import { gapCauses } from './gap-causes.ts';

const entry = (id: number, startedAt: number, o: Partial<FailoverEntry['detail']> = {}, status = 'done') =>
  ({
    id,
    startedAt,
    server: 's1',
    group: 1,
    trigger: 'buddy-quorum',
    status,
    detail: {
      reporters: [],
      firstReportAt: startedAt,
      confirmedAt: startedAt,
      moves: [{ camera: 'c1', from: 's1', to: 's3' }],
      unrecorded: [],
      steps: [{ step: 'recording', at: startedAt + 3000, ms: 3000 }],
      ...o,
    },
  }) as FailoverEntry;

test('a gap is linked to the failover of its camera that spans it; another camera’s or a far one is not', () => {
  const gaps = [
    { startMs: 97_000, endMs: 103_000, ms: 6000 },
    { startMs: 500_000, endMs: 501_000, ms: 1000 },
  ];
  const linked = gapCauses(
    'c1',
    gaps,
    [entry(1, 100_000), entry(2, 100_500, { moves: [{ camera: 'c2', from: 's1', to: 's3' }] }), entry(3, 300_000)],
    1e6,
  );
  assert.deepEqual(
    linked.map((g) => g.failover?.id ?? null),
    [1, null],
  );
});

test('a camera left unrecorded, and a failover still running, explain the gap up to now', () => {
  const waiting = entry(4, 100_000, { moves: [], unrecorded: ['c1'], steps: [] }, 'waiting');
  const [g] = gapCauses('c1', [{ startMs: 98_000, endMs: 200_000 }], [waiting], 200_000);
  assert.equal(g.failover?.id, 4);
  assert.equal(g.failover?.status, 'waiting');
});

test('of two entries over a gap, the one that opened nearest its start', () => {
  const [g] = gapCauses('c1', [{ startMs: 99_000, endMs: 110_000 }], [entry(5, 108_000), entry(6, 100_000)], 1e6);
  assert.equal(g.failover?.id, 6);
});
