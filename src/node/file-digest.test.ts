import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { reprDigest, sha256OfReprDigest, wantsSha256 } from './file-digest.ts';

test('Want-Repr-Digest asks for sha-256 only with a weight above 0', () => {
  const cases: [string | undefined, boolean][] = [
    ['sha-256=10', true],
    ['sha-512=3, sha-256=1', true],
    ['SHA-256=5', true],
    ['sha-256=0', false],
    ['sha-512=10', false],
    ['sha-2560=1', false],
    ['', false],
    [undefined, false],
  ];
  for (const [field, want] of cases) assert.equal(wantsSha256(field), want, String(field));
});

test('Repr-Digest carries the sha-256 in base64 and gives it back in hex', () => {
  const hex = createHash('sha256').update('video').digest('hex');
  const field = reprDigest(hex);
  assert.equal(field, `sha-256=:${Buffer.from(hex, 'hex').toString('base64')}:`);
  assert.equal(sha256OfReprDigest(field), hex);
  assert.equal(sha256OfReprDigest(`sha-512=:AAAA:, ${field}`), hex, 'among other digests');
  for (const bad of [undefined, '', 'sha-256=:short:', `sha-512=${field.slice(7)}`])
    assert.equal(sha256OfReprDigest(bad), undefined, String(bad));
});
