import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, duration } from './format.ts';

test('bytes and durations read as people read them', () => {
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(999), '999 B');
  assert.equal(bytes(1500), '1.5 kB');
  assert.equal(bytes(320_000_000), '320 MB');
  assert.equal(bytes(null), '—');
  assert.equal(duration(850), '850 ms');
  assert.equal(duration(4200), '4.2 s');
  assert.equal(duration(185_000), '3 min 5 s');
  assert.equal(duration(7_800_000), '2 h 10 min');
});
