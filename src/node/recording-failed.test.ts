import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingFailed } from './recording-failed.ts';

test('recording cannot start only when cameras answer and every one that answers is failing', () => {
  const cases: [string[], boolean][] = [
    [[], false],
    [['failing'], true],
    [['failing', 'failing', 'offline'], true],
    [['failing', 'recording'], false],
    [['offline', 'offline'], false],
    [['starting', 'stalled'], false],
    [['failing', 'starting'], false], // the other camera may yet record: not judged
    [['failing', 'stalled'], false],
    [['starting', 'starting'], false], // cameras coming back together
  ];
  for (const [states, want] of cases)
    assert.equal(
      recordingFailed(states.map((state) => ({ state: state as 'failing', mode: 'record' as const }))),
      want,
      states.join(','),
    );
});

test('buffered cameras (hot standby, live relay) never make a server report that recording failed', () => {
  assert.equal(recordingFailed([{ state: 'failing', mode: 'buffer' }]), false);
  assert.equal(
    recordingFailed([
      { state: 'failing', mode: 'buffer' },
      { state: 'failing', mode: 'record' },
    ]),
    true,
  );
  assert.equal(
    recordingFailed([
      { state: 'recording', mode: 'buffer' },
      { state: 'failing', mode: 'record' },
    ]),
    true,
    'a buffer recording is not this server recording',
  );
});
