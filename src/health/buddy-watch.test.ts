import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuddyWatch, aliveWindowMs } from './buddy-watch.ts';

const s = { missedMs: 2000, startDelayMs: 5000, replayWindowMs: 30_000 };
const boot = (n: number) => Buffer.alloc(16, n);
const T0 = 1_000_000;

test('a silent buddy is suspected only after the start delay and the missed threshold', () => {
  const w = new BuddyWatch(s, T0);
  w.setBuddies(['a', 'b'], T0);
  assert.deepEqual(w.suspects(T0 + 4000), [], 'start delay');
  assert.equal(
    w.receive({ sender: 'a', recipient: 'me', bootId: boot(1), seq: 1n, sentAt: T0 + 5000 }, T0 + 5000),
    'accepted',
  );
  assert.deepEqual(w.suspects(T0 + 5001), ['b']);
  assert.deepEqual(w.suspects(T0 + 7000), ['b'], 'exactly at the threshold a is still fine');
  assert.deepEqual(w.suspects(T0 + 7001), ['a', 'b']);
});

test('a replayed or older datagram is not an Alive', () => {
  const w = new BuddyWatch({ ...s, startDelayMs: 0 }, T0);
  w.setBuddies(['a'], T0);
  assert.equal(w.receive({ sender: 'a', recipient: 'me', bootId: boot(1), seq: 5n, sentAt: T0 }, T0), 'accepted');
  assert.equal(w.receive({ sender: 'a', recipient: 'me', bootId: boot(1), seq: 5n, sentAt: T0 }, T0 + 2500), 'replay');
  assert.equal(
    w.receive({ sender: 'a', recipient: 'me', bootId: boot(1), seq: 4n, sentAt: T0 + 10 }, T0 + 2500),
    'replay',
  );
  assert.deepEqual(w.suspects(T0 + 2500), ['a'], 'replays did not refresh a');
  assert.equal(
    w.receive({ sender: 'a', recipient: 'me', bootId: boot(0), seq: 99n, sentAt: T0 - 1 }, T0 + 2500),
    'replay',
    'an older boot',
  );
  assert.equal(
    w.receive({ sender: 'a', recipient: 'me', bootId: boot(2), seq: 0n, sentAt: T0 + 2400 }, T0 + 2500),
    'accepted',
    'a restart',
  );
});

test('unknown senders and stale stamps are refused', () => {
  const w = new BuddyWatch(s, T0);
  w.setBuddies(['a'], T0);
  assert.equal(w.receive({ sender: 'z', recipient: 'me', bootId: boot(1), seq: 1n, sentAt: T0 }, T0), 'unknown-sender');
  assert.equal(w.receive({ sender: 'a', recipient: 'me', bootId: boot(1), seq: 1n, sentAt: T0 - 40_000 }, T0), 'stale');
});

test('a new buddy gets grace, a removed one is forgotten', () => {
  const w = new BuddyWatch({ ...s, startDelayMs: 0 }, T0);
  w.setBuddies(['a'], T0);
  w.setBuddies(['a', 'b'], T0 + 1900);
  assert.deepEqual(w.suspects(T0 + 2100), ['a']);
  w.setBuddies(['b'], T0 + 2100);
  assert.deepEqual(w.suspects(T0 + 3000), []);
  assert.deepEqual(w.suspects(T0 + 4000), ['b']);
});

test('an Alive is fresh for 3 × FarmHealthMissedUdpMs either side of the clock', () => {
  const window = aliveWindowMs(2000);
  assert.equal(window, 6000);
  const w = new BuddyWatch({ ...s, startDelayMs: 0, replayWindowMs: window }, T0);
  w.setBuddies(['a'], T0);
  const at = (sentAt: number, n: number) => ({ sender: 'a', recipient: 'me', bootId: boot(n), seq: 1n, sentAt });
  assert.equal(w.receive(at(T0 - 6001, 1), T0), 'stale');
  assert.equal(w.receive(at(T0 + 6001, 2), T0), 'stale');
  assert.equal(w.receive(at(T0 - 6000, 3), T0), 'accepted');
  assert.equal(w.receive(at(T0 + 6000, 4), T0), 'accepted');
});
