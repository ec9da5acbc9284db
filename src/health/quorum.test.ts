import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quorumReached } from './quorum.ts';

test('more than half of the buddies confirm', () => {
  const cases: [number, number, boolean][] = [
    [1, 1, true],
    [0, 1, false],
    [1, 2, false],
    [2, 2, true],
    [1, 3, false],
    [2, 3, true],
    [2, 4, false],
    [3, 4, true],
    [0, 0, false],
  ];
  for (const [r, b, want] of cases) assert.equal(quorumReached(r, b), want, `${r}/${b}`);
});
