import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetEstimator, sampleOffset, type ClockSample } from './clock-offset.ts';

/** A round trip as it happens: the node's clock is `offset` ahead, up/down are the path's one-way delays. */
interface Trip {
  offset: number;
  up: number;
  down: number;
  held?: number;
}

function sampleOf(trip: Trip, i: number): ClockSample {
  const held = trip.held ?? 1;
  const sentAtMs = 1_800_000_000_000 + i * 500;
  return {
    sentAtMs,
    masterTimeMs: sentAtMs - trip.offset + trip.up,
    masterHeldMs: held,
    rttMs: trip.up + held + trip.down,
  };
}

function run(trips: Trip[]): { offsetMs: number; rttMs: number } | undefined {
  const e = new OffsetEstimator();
  for (const [i, t] of trips.entries()) e.add(sampleOf(t, i));
  return e.estimate();
}

const steady = (offset: number, n: number, up = 1, down = 1): Trip[] =>
  Array.from({ length: n }, () => ({ offset, up, down }));

test('one sample: its midpoint, the master holding the status not counted as network time', () => {
  assert.deepEqual(sampleOffset(sampleOf({ offset: 5000, up: 2, down: 2, held: 40 }, 0)), { offsetMs: 5000, rttMs: 4 });
  // An asymmetric path errs by half the asymmetry, never beyond rtt/2.
  const s = sampleOffset(sampleOf({ offset: 0, up: 30, down: 2 }, 0));
  assert.equal(s.offsetMs, -14);
  assert.ok(Math.abs(s.offsetMs) <= s.rttMs / 2);
});

const cases: { name: string; trips: Trip[]; offset: number; within: number }[] = [
  { name: 'no sample: no estimate', trips: [], offset: NaN, within: 0 },
  { name: 'a clock 5 s ahead', trips: steady(5000, 6), offset: 5000, within: 1 },
  { name: 'a clock 3 s behind', trips: steady(-3000, 6), offset: -3000, within: 1 },
  {
    name: 'one slow, lopsided sample (a congested uplink) is outvoted',
    trips: [...steady(5000, 3), { offset: 5000, up: 900, down: 1 }, ...steady(5000, 2)],
    offset: 5000,
    within: 1,
  },
  {
    name: 'a slow first sample is replaced by the fast ones that follow',
    trips: [{ offset: 200, up: 800, down: 2 }, ...steady(200, 3)],
    offset: 200,
    within: 1,
  },
  {
    name: 'jitter of a few ms averages out',
    trips: [1, 3, 2, 1, 4, 2, 1, 3].map((up, i) => ({ offset: 750, up, down: 4 - (i % 3) })),
    offset: 750,
    within: 3,
  },
  {
    name: 'a step of the node clock (NTP fixes it): believed after two samples agree',
    trips: [...steady(5000, 8), ...steady(0, 2)],
    offset: 0,
    within: 1,
  },
  {
    name: 'one lone contradicting sample is ignored',
    trips: [...steady(5000, 8), { offset: 0, up: 1, down: 1 }, ...steady(5000, 2)],
    offset: 5000,
    within: 1,
  },
  {
    name: 'a step while the path is slow still lands within the samples’ error',
    trips: [...steady(0, 4), ...steady(2000, 3, 40, 60)],
    offset: 2000,
    within: 50,
  },
];

for (const c of cases)
  test(`estimator: ${c.name}`, () => {
    const got = run(c.trips);
    if (Number.isNaN(c.offset)) return assert.equal(got, undefined);
    assert.ok(got, 'an estimate');
    assert.ok(Math.abs(got.offsetMs - c.offset) <= c.within, `offset ${got.offsetMs}, want ${c.offset} ±${c.within}`);
  });

test('the published offset moves only beyond steadyMs, so consecutive segments do not jitter', () => {
  const e = new OffsetEstimator({ steadyMs: 5 });
  e.add(sampleOf({ offset: 100, up: 1, down: 1 }, 0));
  assert.equal(e.estimate()?.offsetMs, 100);
  e.add(sampleOf({ offset: 103, up: 1, down: 1 }, 1));
  assert.equal(e.estimate()?.offsetMs, 100, 'a 1.5 ms move of the mean is not published');
  for (let i = 2; i < 12; i++) e.add(sampleOf({ offset: 120, up: 1, down: 1 }, i));
  const now = e.estimate()?.offsetMs ?? NaN;
  assert.ok(now !== 100 && Math.abs(now - 120) <= 5, `published ${now}: moved, and within steadyMs of the truth`);
});

test('non-finite figures are ignored', () => {
  const e = new OffsetEstimator();
  e.add({ sentAtMs: NaN, masterTimeMs: 1, masterHeldMs: 0, rttMs: 1 });
  assert.equal(e.estimate(), undefined);
});
