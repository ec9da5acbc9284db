import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialCache } from './credential-cache.ts';

const session = {
  hash: 'h',
  user: 'u',
  createdAt: 0,
  expiresAt: 1e15,
  lastSeenAt: 0,
  userRole: 'viewer',
  userDisabled: false,
};
const token = {
  id: 7,
  name: 't',
  user: 'u',
  role: 'viewer',
  createdAt: 0,
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
  userRole: 'viewer',
  userDisabled: false,
};

/** A stand-in store counting its reads; `change()` is a write that may end a credential. */
function fakeStore() {
  const s = {
    reads: 0,
    credentialsChanged: 0,
    rows: { session: { ...session } as typeof session | undefined, token: { ...token } as typeof token | undefined },
    beforeAnswer: () => {},
    async session(_hash: string) {
      s.reads++;
      s.beforeAnswer();
      return s.rows.session && { ...s.rows.session };
    },
    async apiToken(_hash: string) {
      s.reads++;
      return s.rows.token && { ...s.rows.token };
    },
    async touchSession(_h: string, at: number) {
      if (s.rows.session) s.rows.session.lastSeenAt = at;
    },
    async touchApiToken(_id: number, at: number) {
      if (s.rows.token) s.rows.token.lastUsedAt = at as never;
    },
    async deleteSession() {
      s.rows.session = undefined;
      s.credentialsChanged++;
    },
  };
  return s;
}

test('a credential is read once per 5 s; a change of credentials in the store empties the cache at once', async () => {
  const store = fakeStore();
  const clock = { now: 1000 };
  const c = new CredentialCache(store as never, () => clock.now);
  assert.deepEqual(await c.session('h'), session);
  await c.session('h');
  await c.apiToken('x');
  await c.apiToken('x');
  assert.equal(store.reads, 2, 'one read each');
  clock.now += 5000;
  await c.session('h');
  assert.equal(store.reads, 3, 'read again after 5 s');
  store.rows.token!.revokedAt = 5 as never;
  store.credentialsChanged++; // the revocation, written
  assert.equal((await c.apiToken('x'))?.revokedAt, 5, 'seen on the next request');
  await c.deleteSession('h');
  assert.equal(await c.session('h'), undefined);
  assert.equal(await c.session('h'), undefined);
  assert.equal(store.reads, 6, 'unknown secrets are not kept');
});

test("a credential's use is written through; a row read while credentials changed is not kept", async () => {
  const store = fakeStore();
  const clock = { now: 1000 };
  const c = new CredentialCache(store as never, () => clock.now);
  await c.session('h');
  await c.touchSession('h', 1500);
  assert.equal((await c.session('h'))?.lastSeenAt, 1500);
  await c.apiToken('x');
  await c.touchApiToken(7, 1600);
  assert.equal((await c.apiToken('x'))?.lastUsedAt, 1600);
  const reads = store.reads;
  // A logout written while the session was being read: what was read is not kept.
  clock.now += 5000;
  store.beforeAnswer = () => {
    store.credentialsChanged++;
  };
  await c.session('h');
  store.beforeAnswer = () => {};
  await c.session('h');
  assert.equal(store.reads, reads + 2);
});
