import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { aliveKey, aliveKeyring, aliveKeysFor, aliveKeysFromHex } from './alive-keys.ts';

const farmKey = Buffer.from('a farm key of the test');

test('the pair key is HMAC(HMAC(farmKey, label), from \\n to), one per ordered pair', () => {
  const root = createHmac('sha256', farmKey).update('vigil alive v2').digest();
  assert.deepEqual(aliveKey(farmKey, 's1', 's2'), createHmac('sha256', root).update('s1\ns2').digest());
  const keys = new Set(
    [
      ['s1', 's2'],
      ['s2', 's1'],
      ['s1', 's3'],
      ['s11', 's2'],
      ['s1', '1s2'],
    ].map(([f, t]) => aliveKey(farmKey, f, t).toString('hex')),
  );
  assert.equal(keys.size, 5);
  assert.notDeepEqual(aliveKey(Buffer.from('another farm'), 's1', 's2'), aliveKey(farmKey, 's1', 's2'));
  assert.deepEqual(aliveKeyring(farmKey)('s1', 's2'), aliveKey(farmKey, 's1', 's2'));
});

test('a server is given the keys of its own pairs only, and reads them back', () => {
  const ring = aliveKeyring(farmKey);
  const mine = aliveKeysFor(ring, 's2', ['s1', 's3']);
  assert.deepEqual(mine, {
    send: { s1: ring('s2', 's1').toString('hex'), s3: ring('s2', 's3').toString('hex') },
    receive: { s1: ring('s1', 's2').toString('hex'), s3: ring('s3', 's2').toString('hex') },
  });
  const back = aliveKeysFromHex(mine);
  assert.deepEqual(back.send.get('s3'), ring('s2', 's3'));
  assert.deepEqual(back.receive.get('s1'), ring('s1', 's2'));
  assert.deepEqual([...back.send.keys()], ['s1', 's3']);
});
