import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barText, progressText } from './copy-text.ts';

test("a job's progress and the bar's line say bytes, percent, rate and time left", () => {
  const p = { bytes: 30e6, bytesDone: 12.6e6, percent: 42, rateBytesPerSec: 3e6, etaMs: 5800 };
  assert.equal(progressText(p), '42 % — 12.6 MB of 30.0 MB, 3.0 MB/s, about 5.8 s left');
  assert.equal(progressText(undefined), 'waiting to start');
  assert.equal(
    barText([
      { home: 's1', progress: p },
      { home: 's1', progress: { ...p, bytesDone: 30e6, percent: 100 } },
    ]),
    'Copying footage back to s1: 71 % — 42.6 MB of 60.0 MB, 6.0 MB/s, about 2.9 s left (2 jobs)',
  );
});
