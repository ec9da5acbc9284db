import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAlive, decodeAlive } from './alive-codec.ts';

const key = Buffer.from('farm-key');
const alive = { sender: 's1', bootId: Buffer.alloc(16, 7), seq: 42n, sentAt: 1_790_000_000_123 };

test('round trip keeps every field', () => {
  const r = decodeAlive(encodeAlive(alive, key), key);
  assert.deepEqual(r, { ok: true, alive });
});

test('a datagram signed with another key is refused', () => {
  assert.deepEqual(decodeAlive(encodeAlive(alive, Buffer.from('other')), key), { ok: false, reason: 'bad-mac' });
});

test('a flipped bit anywhere is refused', () => {
  const buf = encodeAlive(alive, key);
  for (let i = 0; i < buf.length; i++) {
    const bad = Buffer.from(buf);
    bad[i] ^= 1;
    assert.equal(decodeAlive(bad, key).ok, false, `byte ${i}`);
  }
});

test('truncated, extended, empty and foreign datagrams are malformed', () => {
  const buf = encodeAlive(alive, key);
  for (const b of [
    buf.subarray(0, buf.length - 1),
    Buffer.concat([buf, Buffer.from([0])]),
    Buffer.alloc(0),
    Buffer.from('hello world, this is not an alive datagram at all!!'),
  ]) {
    assert.deepEqual(decodeAlive(b, key), { ok: false, reason: 'malformed' });
  }
});
