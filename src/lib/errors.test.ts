import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_STATUS, VigilError, errText, errorBody, refused } from './errors.ts';

test('an error takes its HTTP status from the catalogue', () => {
  assert.equal(new VigilError('NOT_FOUND', 'x').httpStatus, 404);
  assert.equal(new VigilError('UNAUTHORIZED', 'x').httpStatus, 401);
  assert.equal(new VigilError('CAMERA_MOVED', 'x').httpStatus, 409);
  assert.equal(new VigilError('SERVER_UNREACHABLE', 'x').httpStatus, 503);
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.match(code, /^[A-Z_]+$/);
    assert.ok(status >= 400 && status < 600, code);
  }
});

test('a refusal names every problem, in its message and its details', () => {
  const err = refused('CONFIG_INVALID', 'configuration', ['/a: bad', '/b: worse']);
  assert.equal(err.httpStatus, 400);
  assert.equal(err.message, 'configuration refused, 2 problem(s):\n- /a: bad\n- /b: worse');
  assert.deepEqual(errorBody(err), {
    error: { code: 'CONFIG_INVALID', message: err.message, details: ['/a: bad', '/b: worse'] },
  });
  assert.equal(refused('CAMERA_MOVED', 'configuration', ['x']).httpStatus, 409);
});

test("an error's text carries its cause", () => {
  assert.equal(errText(new Error('fetch failed', { cause: new Error('ECONNREFUSED') })), 'fetch failed: ECONNREFUSED');
  assert.equal(errText(new Error('plain')), 'plain');
  assert.equal(errText('text'), 'text');
});
