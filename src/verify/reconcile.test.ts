import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileHour, reconnected } from './reconcile.ts';

test('a (re)connection: first status, new boot, a server down, or one silent past the bound; not a steady status', () => {
  const prev = { at: 1000, bootId: 'a' };
  assert.equal(reconnected(undefined, { bootId: 'a' }, 'up', 1000, { FarmHealthMissedUdpMs: 2000 }), true);
  assert.equal(reconnected(prev, { bootId: 'b' }, 'up', 1500, { FarmHealthMissedUdpMs: 2000 }), true);
  assert.equal(reconnected(prev, { bootId: 'a' }, 'down', 1500, { FarmHealthMissedUdpMs: 2000 }), true);
  assert.equal(reconnected(prev, { bootId: 'a' }, 'up', 3001, { FarmHealthMissedUdpMs: 2000 }), true);
  assert.equal(reconnected(prev, { bootId: 'a' }, 'suspect', 1500, { FarmHealthMissedUdpMs: 2000 }), false);
  assert.equal(reconnected(prev, { bootId: 'a' }, 'up', 3000, { FarmHealthMissedUdpMs: 2000 }), false);
});

test("an hour is reconciled both ways: the index's segments the master lacks are added, the master's the index lacks removed", () => {
  const s = (n: number, o: object = {}) => ({ startMs: n * 1000, endMs: n * 1000 + 1000, ...o });
  const r = reconcileHour([s(0), s(1), s(3)], [s(0), s(1), s(2, { bytes: 5 }), s(2, { bytes: 5 }), s(4)]);
  assert.deepEqual(r.add, [s(2, { bytes: 5 }), s(4)]);
  assert.deepEqual(r.remove, [s(3)]);
});
