import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDRESS_THROTTLE, LoginThrottle, USER_THROTTLE, delayAfter, waitMs, withFailure } from './login-throttle.ts';

test('delays: 5 free failures, then 1 s doubling up to 5 min', () => {
  const table: [number, number][] = [
    [0, 0],
    [4, 0],
    [5, 1000],
    [6, 2000],
    [7, 4000],
    [12, 128_000],
    [13, 256_000],
    [14, 300_000],
    [1000, 300_000],
  ];
  for (const [count, ms] of table) assert.equal(delayAfter(count, USER_THROTTLE), ms, `${count} failures`);
  assert.equal(delayAfter(19, ADDRESS_THROTTLE), 0, 'an address has 20 free');
  assert.equal(delayAfter(20, ADDRESS_THROTTLE), 1000);
});

test('the wait counts from the last failure; failures are forgotten after an hour of quiet', () => {
  let f = undefined as ReturnType<typeof withFailure> | undefined;
  for (let i = 0; i < 7; i++) f = withFailure(f, 10_000, USER_THROTTLE);
  assert.deepEqual(f, { count: 7, lastAt: 10_000 });
  assert.equal(waitMs(f, 10_000, USER_THROTTLE), 4000);
  assert.equal(waitMs(f, 13_500, USER_THROTTLE), 500);
  assert.equal(waitMs(f, 14_000, USER_THROTTLE), 0);
  assert.equal(waitMs(undefined, 0, USER_THROTTLE), 0);
  const later = 10_000 + USER_THROTTLE.forgetAfterMs;
  assert.deepEqual(withFailure(f, later, USER_THROTTLE), { count: 1, lastAt: later }, 'forgotten: starts again');
});

test('LoginThrottle on a fake clock: per user, per address, success resets the user only', () => {
  const t = new LoginThrottle();
  let now = 0;
  for (let i = 0; i < 4; i++) {
    assert.equal(t.waitMs('alice', '10.0.0.1', now), 0, `attempt ${i + 1} is free`);
    t.failed('alice', '10.0.0.1', now);
    now += 10;
  }
  assert.equal(t.waitMs('alice', '10.0.0.1', now), 0, 'the fifth too');
  t.failed('Alice', '10.0.0.1', now); // user names count case-insensitively
  assert.equal(t.waitMs('alice', '10.0.0.2', now), 1000, 'the user is slowed from any address');
  assert.equal(t.waitMs('bob', '10.0.0.1', now), 0, 'the address has free failures left for others');
  now += 1000;
  assert.equal(t.waitMs('alice', '10.0.0.1', now), 0);
  t.succeeded('alice');
  assert.equal(t.waitMs('alice', '10.0.0.1', now), 0);
  // An address guessing many names is slowed too, whatever the names.
  for (let i = 0; i < 20; i++) t.failed(`u${i}`, '10.0.0.9', now);
  assert.equal(t.waitMs('fresh', '10.0.0.9', now), 1000);
  assert.equal(t.waitMs('fresh', '10.0.0.8', now), 0);
});

test('one attempt at a time per user name, four per address', () => {
  const t = new LoginThrottle();
  assert.equal(t.begin('alice', 'a'), true);
  assert.equal(t.begin('ALICE', 'b'), false, 'alice is being checked');
  for (const u of ['u1', 'u2', 'u3']) assert.equal(t.begin(u, 'a'), true);
  assert.equal(t.begin('u4', 'a'), false, 'four from a already');
  t.end('alice', 'a');
  assert.equal(t.begin('alice', 'b'), true);
  assert.equal(t.begin('u4', 'a'), true);
});
