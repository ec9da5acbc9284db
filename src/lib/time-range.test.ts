import { test } from 'node:test';
import assert from 'node:assert/strict';
import { askedRange, checkRange, durationText, parseSince, parseTime } from './time-range.ts';
import { VigilError } from './errors.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof VigilError ? `${err.code} ${err.httpStatus}` : String(err);
  }
  return 'ok';
};

test('a time is epoch ms or ISO 8601', () => {
  assert.equal(parseTime('1700000000000', 'from'), 1_700_000_000_000);
  assert.equal(parseTime('2026-01-01T00:00:00Z', 'to'), Date.UTC(2026, 0, 1));
  assert.equal(
    code(() => parseTime('yesterday', 'from')),
    'BAD_TIME 400',
  );
});

test('the asked range defaults to the hour before now; empty and too long ranges are refused', () => {
  assert.deepEqual(askedRange({}, 10_000_000), { from: 10_000_000 - 3_600_000, to: 10_000_000 });
  assert.deepEqual(askedRange({ to: '5000000' }, 0), { from: 5_000_000 - 3_600_000, to: 5_000_000 });
  assert.deepEqual(askedRange({ from: '1', to: '2' }, 0), { from: 1, to: 2 });
  assert.equal(
    code(() => askedRange({ from: '2', to: '2' }, 0)),
    'BAD_RANGE 400',
  );
  assert.equal(
    code(() => askedRange({ from: '0', to: String(3_600_001) }, 0, 3_600_000)),
    'RANGE_TOO_LONG 400',
  );
  assert.equal(
    code(() => checkRange(0, 3_600_000, 3_600_000)),
    'ok',
  );
});

test('a range over its bound is refused naming what is bounded, the bound and the range asked', () => {
  assert.throws(
    () => askedRange({ from: '0', to: String(40 * 86_400_000) }, 0, 31 * 86_400_000, 'the timeline'),
    (err: VigilError) =>
      err.code === 'RANGE_TOO_LONG' &&
      err.message ===
        'the timeline covers at most 31 days at once; asked 1970-01-01T00:00:00.000Z to 1970-02-10T00:00:00.000Z',
  );
  assert.deepEqual([3_600_000, 86_400_000, 2 * 86_400_000, 5_400_000, 20_000, 1500].map(durationText), [
    '1 h',
    '1 day',
    '2 days',
    '90 min',
    '20 s',
    '1.5 s',
  ]);
});

test('a start is a time or a duration before now', () => {
  const now = 10 * 86_400_000;
  assert.deepEqual(
    ['30s', '15m', '2h', '7d', '1700000000000', '2026-01-01T00:00:00Z'].map((v) => parseSince(v, now)),
    [now - 30_000, now - 900_000, now - 7_200_000, now - 7 * 86_400_000, 1_700_000_000_000, Date.UTC(2026, 0, 1)],
  );
  assert.equal(
    code(() => parseSince('2 weeks', now)),
    'BAD_TIME 400',
  );
});
