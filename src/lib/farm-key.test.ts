import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFarmKey, newFarmKey, parseFarmKey } from './farm-key.ts';

test('keys encoding 32 random bytes pass, as hex or base64; the text is the key', () => {
  const hex = newFarmKey();
  assert.match(hex, /^[0-9a-f]{64}$/);
  assert.deepEqual(parseFarmKey(`${hex}\n`, 'x'), Buffer.from(hex));
  for (const k of [
    randomBytes(32).toString('base64'),
    randomBytes(32).toString('base64url'),
    randomBytes(48).toString('hex').toUpperCase(),
  ])
    assert.deepEqual(parseFarmKey(k, 'x'), Buffer.from(k));
});

test('weak keys are refused with the reason and the way out, never the key itself', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['e2e-farm-key', /holds 9 bytes/],
    ['correct horse battery staple correct horse battery staple', /neither hex nor base64/],
    [randomBytes(31).toString('hex'), /holds 31 bytes, at least 32/],
    [randomBytes(31).toString('base64'), /holds 31 bytes/],
    ['0'.repeat(64), /does not look random/],
    ['abab'.repeat(16), /does not look random/],
    ['Z'.repeat(44), /does not look random/],
  ];
  for (const [key, why] of cases)
    assert.throws(
      () => parseFarmKey(key, 'VIGIL_FARM_KEY'),
      (e: Error) =>
        why.test(e.message) &&
        e.message.includes('VIGIL_FARM_KEY') &&
        e.message.includes('vigil keygen') &&
        (key.length < 4 || !e.message.includes(key)),
      key,
    );
});

test('loadFarmKey reads a 0600 key file, refuses a group- or world-readable one, else the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-key-'));
  try {
    const key = newFarmKey();
    const file = join(dir, 'farm.key');
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    assert.deepEqual(loadFarmKey(file, undefined), Buffer.from(key));
    chmodSync(file, 0o640);
    assert.throws(() => loadFarmKey(file, key), new RegExp(`${file} has mode 640.*chmod 600 ${file}`));
    chmodSync(file, 0o604);
    assert.throws(() => loadFarmKey(file, key), /mode 604/);
    assert.deepEqual(loadFarmKey(undefined, key), Buffer.from(key));
    assert.throws(() => loadFarmKey(undefined, undefined), /no farm key: set VIGIL_FARM_KEY or pass --key-file/);
    assert.throws(() => loadFarmKey(undefined, 'short'), /farm key from VIGIL_FARM_KEY is refused/);
    assert.throws(() => loadFarmKey(join(dir, 'missing'), key), /cannot read the secret file .*no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
