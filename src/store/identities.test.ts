import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from './store.ts';
import { testDbLocation } from './test-db.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';

test(`${backend}: a join token is used once, by its server, before it expires; a new one replaces the unused one`, async () => {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  try {
    await store.addJoinToken({ hash: 'h1', server: 's1', expiresAt: 2000 }, 1000);
    assert.equal(await store.useJoinToken('h1', 's2', 1500), false, 'another server');
    assert.equal(await store.useJoinToken('h1', 's1', 2000), false, 'expired');
    assert.equal(await store.useJoinToken('h1', 's1', 1500), true);
    assert.equal(await store.useJoinToken('h1', 's1', 1500), false, 'used');
    await store.addJoinToken({ hash: 'h2', server: 's1', expiresAt: 9000 }, 1000);
    await store.addJoinToken({ hash: 'h3', server: 's1', expiresAt: 9000 }, 1000);
    assert.equal(await store.useJoinToken('h2', 's1', 1500), false, 'replaced by the newer invitation');
    assert.equal(await store.useJoinToken('h3', 's1', 1500), true);
    await store.addJoinToken({ hash: 'h4', server: 's2', expiresAt: 9000 }, 1000);
    const uses = await Promise.all([1, 2, 3].map(() => store.useJoinToken('h4', 's2', 1500)));
    assert.equal(uses.filter(Boolean).length, 1, 'used by one of three requests at once');
  } finally {
    await store.close();
    await drop();
  }
});

test(`${backend}: a server's identity is its last enrolled fingerprint`, async () => {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  try {
    assert.equal(await store.serverFingerprint('s1'), undefined);
    await store.setServerIdentity('s1', 'aa', 1);
    await store.setServerIdentity('s1', 'bb', 2);
    assert.equal(await store.serverFingerprint('s1'), 'bb');
  } finally {
    await store.close();
    await drop();
  }
});
