import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedLimiter, type Release } from './keyed-limiter.ts';

const slot = (r: ReturnType<KeyedLimiter['acquire']>): Release => {
  assert.ok('release' in r, `refused: ${JSON.stringify(r)}`);
  return r.release;
};

test('a key gets its share, the whole is bounded, released slots come back', () => {
  const l = new KeyedLimiter(2, 3);
  const a1 = slot(l.acquire('user:alice'));
  slot(l.acquire('user:alice'));
  assert.deepEqual(l.acquire('user:alice'), { refused: 'key', limit: 2 }, 'alice holds her two');
  const b1 = slot(l.acquire('user:bob'));
  assert.deepEqual(l.acquire('user:carol'), { refused: 'total', limit: 3 }, 'three in all');
  assert.deepEqual([l.inUse(), l.inUse('user:alice'), l.inUse('user:bob')], [3, 2, 1]);
  a1();
  a1(); // a second release gives nothing back twice
  assert.deepEqual([l.inUse(), l.inUse('user:alice')], [2, 1]);
  slot(l.acquire('user:carol'));
  b1();
  assert.equal(l.inUse('user:bob'), 0);
  slot(l.acquire('user:alice'));
  assert.deepEqual(l.acquire('user:dave'), { refused: 'total', limit: 3 });
});

test('the per-key share is checked before the total, so a user at their share hears so', () => {
  const l = new KeyedLimiter(1, 1);
  slot(l.acquire('k'));
  assert.deepEqual(l.acquire('k'), { refused: 'key', limit: 1 });
  assert.deepEqual(l.acquire('other'), { refused: 'total', limit: 1 });
});

test('bounds below one are a mistake of the caller', () => {
  assert.throws(() => new KeyedLimiter(0, 4), /at least 1/);
  assert.throws(() => new KeyedLimiter(1, 0), /at least 1/);
});
