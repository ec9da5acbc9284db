import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingFailed } from './recording-failed.ts';

test('recording cannot start only when cameras answer and none records', () => {
  const cases: [string[], boolean][] = [
    [[], false],
    [['failing'], true],
    [['failing', 'failing', 'offline'], true],
    [['failing', 'recording'], false],
    [['offline', 'offline'], false],
    [['starting', 'stalled'], false],
    [['failing', 'starting'], true],
  ];
  for (const [states, want] of cases) assert.equal(recordingFailed(states.map((state) => ({ state: state as 'failing' }))), want, states.join(','));
});
