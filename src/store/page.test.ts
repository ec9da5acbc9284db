import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOf } from './page.ts';

const rows = (...ids: number[]) => ids.map((id) => ({ id }));

test('a page is oldest first; the row past the limit only says an older page exists', () => {
  assert.deepEqual(pageOf(rows(9, 8, 7), 2), { entries: rows(8, 9), nextBefore: 8 });
  assert.deepEqual(pageOf(rows(9, 8), 2), { entries: rows(8, 9) });
  assert.deepEqual(pageOf([], 2), { entries: [] });
});
