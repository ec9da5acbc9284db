import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAlive, decodeAlive } from './alive-codec.ts';
import { aliveKey } from './alive-keys.ts';

const farmKey = Buffer.from('farm-key');
const k12 = aliveKey(farmKey, 's1', 's2');
const alive = { sender: 's1', recipient: 's2', bootId: Buffer.alloc(16, 7), seq: 42n, sentAt: 1_790_000_000_123 };
/** s2's receive keys: it watches s1 and s3. */
const keysOfS2 = (sender: string) => (sender === 's1' || sender === 's3' ? aliveKey(farmKey, sender, 's2') : undefined);

test('round trip keeps every field, sender and recipient included', () => {
  assert.deepEqual(decodeAlive(encodeAlive(alive, k12), 's2', keysOfS2), { ok: true, alive });
});

test('a datagram for another recipient is refused before its key is even looked up', () => {
  const toS3 = encodeAlive({ ...alive, recipient: 's3' }, aliveKey(farmKey, 's1', 's3'));
  let asked = false;
  const r = decodeAlive(toS3, 's2', (s) => {
    asked = true;
    return keysOfS2(s);
  });
  assert.deepEqual(r, { ok: false, reason: 'wrong-recipient' });
  assert.equal(asked, false);
});

test('a sender this server holds no key for is refused', () => {
  const fromS9 = encodeAlive({ ...alive, sender: 's9' }, aliveKey(farmKey, 's9', 's2'));
  assert.deepEqual(decodeAlive(fromS9, 's2', keysOfS2), { ok: false, reason: 'unknown-sender' });
});

test('a datagram signed with another key is refused: the old shared key, another pair, another farm', () => {
  const wrong = [
    Buffer.from('farm-key'),
    aliveKey(farmKey, 's2', 's1'), // the reverse pair
    aliveKey(farmKey, 's3', 's2'), // s3 posing as s1 with its own key
    aliveKey(Buffer.from('other farm'), 's1', 's2'),
  ];
  for (const key of wrong)
    assert.deepEqual(decodeAlive(encodeAlive(alive, key), 's2', keysOfS2), { ok: false, reason: 'bad-mac' });
});

test('rewriting the recipient of a captured datagram breaks its MAC', () => {
  const toS3 = encodeAlive({ ...alive, recipient: 's3' }, aliveKey(farmKey, 's1', 's3'));
  const i = toS3.indexOf(Buffer.from('s3'), 5);
  const rewritten = Buffer.from(toS3);
  rewritten.write('s2', i);
  assert.deepEqual(decodeAlive(rewritten, 's2', keysOfS2), { ok: false, reason: 'bad-mac' });
});

test('a flipped bit anywhere is refused', () => {
  const buf = encodeAlive(alive, k12);
  for (let i = 0; i < buf.length; i++) {
    const bad = Buffer.from(buf);
    bad[i] ^= 1;
    assert.equal(decodeAlive(bad, 's2', keysOfS2).ok, false, `byte ${i}`);
  }
});

test('truncated, extended, empty, version 1 and foreign datagrams are malformed', () => {
  const buf = encodeAlive(alive, k12);
  const v1 = Buffer.concat([Buffer.from('VGA1'), Buffer.from([2]), Buffer.from('s1'), Buffer.alloc(64)]);
  const noRecipient = Buffer.from(buf);
  noRecipient[5 + 2] = 0;
  for (const b of [
    buf.subarray(0, buf.length - 1),
    Buffer.concat([buf, Buffer.from([0])]),
    Buffer.alloc(0),
    v1,
    noRecipient,
    Buffer.from('hello world, this is not an alive datagram at all!!'),
  ]) {
    assert.deepEqual(decodeAlive(b, 's2', keysOfS2), { ok: false, reason: 'malformed' });
  }
});

test('ids of 1..255 bytes only', () => {
  assert.throws(() => encodeAlive({ ...alive, recipient: '' }, k12), /recipient id/);
  assert.throws(() => encodeAlive({ ...alive, sender: 'x'.repeat(256) }, k12), /sender id/);
});
