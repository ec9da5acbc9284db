import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isSealed, openUrl, sealUrl, storeSecretKey } from './secret-url.ts';

const key = storeSecretKey(Buffer.from(randomBytes(32).toString('hex')));

test('the password alone is sealed, each time with a new nonce; user, host and path stay readable', () => {
  const url = 'rtsp://admin:p@ss w%40rd@10.0.0.5:554/h264?x=1';
  const a = sealUrl(url, key);
  const b = sealUrl(url, key);
  assert.notEqual(a, b);
  assert.match(a, /^rtsp:\/\/admin:enc:v1:[A-Za-z0-9_-]+@10\.0\.0\.5:554\/h264\?x=1$/);
  assert.ok(!a.includes('p@ss') && !a.includes('w%40rd'));
  assert.ok(isSealed(a));
  assert.equal(openUrl(a, key, 'camera c1'), url);
  assert.equal(openUrl(b, key, 'camera c1'), url);
  assert.equal(sealUrl(a, key), a, 'sealed once only');
});

test('urls without a password are kept as they are, with or without a key', () => {
  for (const url of ['rtsp://10.0.0.5/x', 'rtsp://viewer@10.0.0.5/x', 'rtsps://h:322/a@b']) {
    assert.equal(sealUrl(url, key), url);
    assert.equal(sealUrl(url, undefined), url);
    assert.equal(openUrl(url, undefined, 'c'), url);
  }
});

test('a plain row of an older version reads as it is', () => {
  assert.equal(openUrl('rtsp://a:b@h/x', key, 'c'), 'rtsp://a:b@h/x');
});

test('no key: a password is never stored plain nor read; another key or a changed byte is refused, naming the camera', () => {
  assert.throws(() => sealUrl('rtsp://a:b@h/x', undefined), /without the farm key/);
  const sealed = sealUrl('rtsp://a:secret@h/x', key);
  assert.throws(() => openUrl(sealed, undefined, 'camera c1'), /camera c1: the store was opened without the farm key/);
  const other = storeSecretKey(Buffer.from(randomBytes(32).toString('hex')));
  assert.throws(
    () => openUrl(sealed, other, 'camera c1'),
    (e: Error) =>
      /camera c1: its stored password does not open with this farm key/.test(e.message) &&
      !e.message.includes('secret'),
  );
  const i = sealed.indexOf('enc:v1:') + 10;
  const flipped = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
  assert.throws(() => openUrl(flipped, key, 'camera c2'), /camera c2: its stored password does not open/);
  assert.throws(() => openUrl('rtsp://a:enc:v1:AAAA@h/x', key, 'camera c3'), /camera c3/);
});

test('property: any password round-trips and is not in the stored text', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 4, maxLength: 40 }).filter((p) => !/[/?#\r\n]/.test(p)),
      fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
      (password, user) => {
        const url = `rtsp://${user}:${password}@cam.local:554/live`;
        const stored = sealUrl(url, key);
        assert.equal(openUrl(stored, key, 'c'), url);
        assert.equal(stored.slice(stored.lastIndexOf('@')), '@cam.local:554/live');
        assert.match(stored, new RegExp(`^rtsp://${user}:enc:v1:[A-Za-z0-9_-]+@`));
      },
    ),
    { numRuns: 500 },
  );
});
