import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockColumn } from './client.ts';

test("vigil status's clock column: the offset, marked past the bound; a dash before any status", () => {
  assert.equal(clockColumn(null), '-');
  assert.equal(clockColumn({ offsetMs: null }), '-');
  assert.equal(clockColumn({ offsetMs: 3.4 }), '+3ms');
  assert.equal(clockColumn({ offsetMs: -12 }), '-12ms');
  assert.equal(clockColumn({ offsetMs: 5012, warning: 'clock +5012 ms off farm time (bound 500 ms)' }), '+5012ms!');
});
