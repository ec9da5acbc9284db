import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PARAMS, chunks, columnsOf } from './batch.ts';

test('rows of 7 parameters: 142 a statement on SQLite (999), 9362 on PostgreSQL (65535)', () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => i);
  const sqlite = chunks(rows, 7, 'sqlite');
  assert.equal(sqlite[0].length, 142);
  assert.equal(sqlite.length, Math.ceil(20_000 / 142));
  const pg = chunks(rows, 7, 'postgres');
  assert.deepEqual(
    pg.map((c) => c.length),
    [9362, 9362, 1276],
  );
  assert.deepEqual(pg.flat(), rows, 'every row once, in order');
});

test('parameters bound once per statement leave room: no chunk passes the limit', () => {
  for (const dialect of ['sqlite', 'postgres'] as const)
    for (const c of chunks(
      Array.from({ length: 70_000 }, () => 0),
      1,
      dialect,
      2,
    ))
      assert.ok(c.length + 2 <= MAX_PARAMS[dialect]);
});

test('no rows: no chunk; a row wider than the limit still goes alone', () => {
  assert.deepEqual(chunks([], 7, 'sqlite'), []);
  assert.deepEqual(chunks([1, 2], 5000, 'sqlite'), [[1], [2]]);
});

test('an insert binds one parameter per column of its rows', () => {
  assert.equal(columnsOf([{ a: 1, b: null, c: 'x' }]), 3);
});
