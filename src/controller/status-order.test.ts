import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusOrder, mayRevive } from './status-order.ts';

test('statuses of one boot are taken in seq order; an older or repeated one is dropped and counted', () => {
  const o = new StatusOrder();
  const table: [string, number | undefined, boolean][] = [
    ['b1', 1, true],
    ['b1', 3, true], // a gap: a status lost on the way is no reason to refuse the next
    ['b1', 2, false], // late: the master has taken 3 already
    ['b1', 3, false], // the same one again
    ['b1', 4, true],
    ['b1', undefined, true], // an older node numbers nothing: taken as it comes
    ['b1', 4, false], // the position stays at 4
    ['b1', 5, true],
  ];
  for (const [bootId, seq, taken] of table) assert.equal(o.admit('s', { bootId, seq }), taken, `${bootId}#${seq}`);
  assert.equal(o.staleOf('s'), 3);
  assert.equal(o.staleOf('other'), 0);
});

test('a new boot starts its own count; a late status of a replaced boot is dropped', () => {
  const o = new StatusOrder();
  assert.equal(o.admit('s', { bootId: 'old', seq: 50 }), true);
  assert.equal(o.admit('s', { bootId: 'new', seq: 1 }), true, 'a restarted server starts again at 1');
  assert.equal(o.admit('s', { bootId: 'old', seq: 51 }), false, 'the old boot is over');
  assert.equal(o.admit('s', { bootId: 'new', seq: 2 }), true);
  assert.equal(o.admit('t', { bootId: 'old', seq: 1 }), true, 'each server has its own order');
  assert.equal(o.staleOf('s'), 1);
});

test('only a status carrying an answer sent after the confirmation revives a server', () => {
  const downSince = 10_000;
  const table: [number | undefined, boolean][] = [
    [undefined, false], // never answered: a first status after boot, or an older node
    [9_000, false], // answered before the confirmation: sent before the server could know of it
    [10_000, false], // the same millisecond: the answer may have gone out before the verdict
    [10_001, true],
  ];
  for (const [answeredAtMs, ok] of table) assert.equal(mayRevive({ answeredAtMs }, downSince), ok, `${answeredAtMs}`);
  assert.equal(mayRevive({ answeredAtMs: 1 }, null), true, 'down since an unknown time: any answer');
});
