import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSecret, secretHash, secretKind } from './tokens.ts';

test('secrets are random, prefixed by kind, and known only by their SHA-256', () => {
  const t = newSecret('token');
  const s = newSecret('session');
  assert.match(t, /^vt_[A-Za-z0-9_-]{43}$/);
  assert.match(s, /^vs_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(newSecret('token'), t);
  assert.equal(secretKind(t), 'token');
  assert.equal(secretKind(s), 'session');
  assert.match(secretHash(t), /^[0-9a-f]{64}$/);
  assert.equal(secretHash(t), secretHash(`${t}`));
  assert.notEqual(secretHash(t), secretHash(s));
});

test('anything else is no secret: the old farm token, a truncated or padded one, other prefixes', () => {
  const t = newSecret('token');
  for (const x of ['', 'vt_', t.slice(0, -1), `${t}x`, t.replace('vt_', 'vx_'), 'a'.repeat(64), `vs_${'!'.repeat(43)}`])
    assert.equal(secretKind(x), undefined, x);
});
