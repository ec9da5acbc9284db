import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byGroup, cameraTotals } from './totals.ts';

test('totals: recording, offline, and every other state is unrecorded', () => {
  const states = ['recording', 'recording', 'offline', 'unrecorded', 'failing', 'starting', 'unknown', 'stalled'];
  assert.deepEqual(cameraTotals(states.map((recording) => ({ recording }))), {
    cameras: 8,
    recording: 2,
    offline: 1,
    unrecorded: 5,
  });
});

test('servers by group, in id order (s2 before s10)', () => {
  const g = byGroup([
    { id: 's10', group: 1 },
    { id: 's7', group: 7 },
    { id: 's2', group: 1 },
  ]);
  assert.deepEqual(
    g.map(([id, s]) => [id, s.map((x) => x.id)]),
    [
      [1, ['s2', 's10']],
      [7, ['s7']],
    ],
  );
});
