import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSegmentLine } from './segment-list.ts';

test('parses a plain csv line, seconds to ms', () => {
  assert.deepEqual(parseSegmentLine('r1-000001.ts,1795487704.250911,1795487705.248589'), {
    file: 'r1-000001.ts',
    startMs: 1795487704251,
    endMs: 1795487705249,
  });
});

test("keeps ffmpeg's 0 start of a run's first segment", () => {
  assert.deepEqual(parseSegmentLine('r1-000000.ts,0.000000,1795487704.248811\r\n'), {
    file: 'r1-000000.ts',
    startMs: 0,
    endMs: 1795487704249,
  });
});

test('unquotes a file name with commas and doubled quotes', () => {
  assert.deepEqual(parseSegmentLine('"a,b ""c"".ts",1.5,2.5'), { file: 'a,b "c".ts', startMs: 1500, endMs: 2500 });
});

test('junk gives undefined', () => {
  for (const junk of [
    '',
    'r1-000000.ts',
    'r1-000000.ts,1.0',
    'r1-000000.ts,1.0,2.0,3.0',
    'r1-000000.ts,abc,2.0',
    'r1-000000.ts,,2.0',
    'r1-000000.ts,-1.0,2.0',
    'r1-000000.ts,1e3,2.0',
    ',1.0,2.0',
    '"unterminated,1.0,2.0',
    '"a"x,1.0,2.0',
    'a"b.ts,1.0,2.0',
    '[segment @ 0x55] Opening r1-000001.ts for writing',
  ]) {
    assert.equal(parseSegmentLine(junk), undefined, JSON.stringify(junk));
  }
});
