import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dummyHash, hashPassword, passwordProblems, verifyPassword } from './passwords.ts';

test('a password hash verifies its password only, with a fresh salt each time and memory-hard parameters', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.equal(await verifyPassword('', h), false);
  assert.notEqual(await hashPassword('correct horse battery'), h, 'salted');
});

test('a malformed or too costly stored hash verifies nothing (and does not throw)', async () => {
  const h = await hashPassword('correct horse battery');
  const [, , r, p, salt, key] = h.split('$');
  for (const bad of [
    '',
    'no-password',
    h.replace('scrypt', 'bcrypt'),
    ['scrypt', 2 ** 24, r, p, salt, key].join('$'),
    ['scrypt', 1000, r, p, salt, key].join('$'),
    ['scrypt', 32768, 99, p, salt, key].join('$'),
    `${h}$extra`,
    h.slice(0, -5),
  ])
    assert.equal(await verifyPassword('correct horse battery', bad), false, bad);
});

test('the dummy hash of unknown users is a real one, made once', async () => {
  const d = await dummyHash();
  assert.match(d, /^scrypt\$32768\$/);
  assert.equal(await dummyHash(), d);
  assert.equal(await verifyPassword('anything at all', d), false);
});

test('the password policy: 12 characters at least, not the user name, every problem named', () => {
  assert.deepEqual(passwordProblems('long enough pass', 'alice'), []);
  assert.deepEqual(passwordProblems('short', 'bob'), ['a password needs at least 12 characters']);
  assert.deepEqual(passwordProblems('alice-is-long-enough', 'alice'), ['a password must not contain the user name']);
  assert.deepEqual(passwordProblems('Administrator', 'administrator'), ['a password must not contain the user name']);
  assert.deepEqual(passwordProblems('jo-has-a-long-password', 'jo'), [], 'a short name only as the whole password');
  assert.deepEqual(passwordProblems('x'.repeat(1025), 'u'), ['a password has at most 1024 characters']);
  assert.deepEqual(passwordProblems('bob', 'bob'), [
    'a password needs at least 12 characters',
    'a password must not contain the user name',
  ]);
  assert.deepEqual(passwordProblems('ééééééééééé', 'u').length, 1, 'characters, not bytes: 11 is too few');
});
