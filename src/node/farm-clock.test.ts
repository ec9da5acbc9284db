import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusFarmClock } from './farm-clock.ts';

/** A node whose wall clock is 5 s ahead of the master's; the monotonic clock counts from anywhere. */
function fixture() {
  let master = 1_800_000_000_000;
  let mono = 42;
  const ahead = 5000;
  const clock = new StatusFarmClock({ now: () => master + ahead }, { now: () => mono });
  const pass = (ms: number) => {
    master += ms;
    mono += ms;
  };
  /** One status: 2 ms up, the master holds it `held` ms, 2 ms back. */
  const trip = (held = 3) => {
    const t = clock.roundTrip();
    pass(2);
    const masterTimeMs = master;
    pass(held);
    const masterHeldMs = held;
    pass(2);
    t.answered({ masterTimeMs, masterHeldMs });
    return t.clock;
  };
  return { clock, trip, pass, now: () => master };
}

test('before any answer: no offset, readings unchanged, and the status says only when it was sent', () => {
  const { clock, trip, now } = fixture();
  assert.equal(clock.offsetMs(), undefined);
  assert.equal(clock.toFarm(123), 123);
  assert.deepEqual(trip(), { sentAtMs: now() - 7 + 5000 });
});

test('after round trips: the offset, farm time and the node readings converted to it', () => {
  const { clock, trip, pass, now } = fixture();
  trip();
  const second = trip();
  assert.equal(second.offsetMs, 5000, 'the next status carries the estimate');
  assert.equal(second.rttMs, 4, 'the time the master held it is not network time');
  assert.equal(clock.offsetMs(), 5000);
  pass(1000);
  assert.equal(clock.now(), now());
  assert.equal(clock.toFarm(now() + 5000), now());
});

test('an answer without the master clock (an older master) teaches nothing', () => {
  const { clock } = fixture();
  clock.roundTrip().answered({});
  assert.equal(clock.offsetMs(), undefined);
});
