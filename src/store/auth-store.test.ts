import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTestStore } from './test-db.ts';

const backend = process.env.VIGIL_DB ? 'postgres' : 'sqlite';

const session = (hash: string, user: string, at = 1000) => ({
  hash,
  user,
  createdAt: at,
  expiresAt: at + 7 * 86_400_000,
  lastSeenAt: at,
});

test(`${backend}: users: created once by name, listed, changed; the last admin stays`, () =>
  withTestStore(async (s) => {
    assert.equal(await s.userCount(), 0);
    assert.equal(await s.createUser({ name: 'alice', role: 'admin', passwordHash: 'h1', createdAt: 5 }), true);
    assert.equal(await s.createUser({ name: 'alice', role: 'viewer', passwordHash: 'h2', createdAt: 6 }), false);
    await s.createUser({ name: 'bob', role: 'viewer', passwordHash: 'hb', createdAt: 7 });
    assert.deepEqual(await s.user('alice'), {
      name: 'alice',
      role: 'admin',
      passwordHash: 'h1',
      createdAt: 5,
      disabled: false,
    });
    assert.deepEqual(
      (await s.users()).map((u) => [u.name, u.role]),
      [
        ['alice', 'admin'],
        ['bob', 'viewer'],
      ],
    );
    assert.equal(await s.userCount(), 2);
    assert.equal(await s.updateUser('alice', { role: 'operator' }), 'last-admin');
    assert.equal(await s.updateUser('alice', { disabled: true }), 'last-admin');
    assert.equal(await s.deleteUser('alice'), 'last-admin');
    assert.equal(await s.updateUser('nobody', { role: 'admin' }), 'not-found');
    assert.equal(await s.deleteUser('nobody'), 'not-found');
    assert.equal(await s.updateUser('alice', { passwordHash: 'h3', role: undefined }), undefined);
    assert.equal((await s.user('alice'))?.passwordHash, 'h3');
    assert.equal(await s.updateUser('bob', { role: 'admin' }), undefined);
    assert.equal(await s.updateUser('alice', { role: 'viewer' }), undefined, 'bob is an admin now');
    assert.equal(await s.updateUser('bob', { disabled: true }), 'last-admin', 'a disabled admin is none');
    assert.equal(await s.updateUser('alice', { disabled: true }), undefined);
    assert.equal((await s.user('alice'))?.disabled, true);
  }));

test(`${backend}: sessions: found with their user; ended by logout, a new password, disabling, removal, staleness`, () =>
  withTestStore(async (s) => {
    await s.createUser({ name: 'alice', role: 'operator', passwordHash: 'h', createdAt: 1 });
    await s.createUser({ name: 'root', role: 'admin', passwordHash: 'h', createdAt: 1 });
    await s.createSession(session('a1', 'alice'));
    await s.createSession(session('a2', 'alice'));
    await s.createSession(session('r1', 'root'));
    assert.deepEqual(await s.session('a1'), { ...session('a1', 'alice'), userRole: 'operator', userDisabled: false });
    assert.equal(await s.session('nope'), undefined);
    await s.touchSession('a1', 5000);
    assert.equal((await s.session('a1'))?.lastSeenAt, 5000);
    await s.deleteSession('a1');
    assert.equal(await s.session('a1'), undefined);
    await s.updateUser('alice', { role: 'viewer' });
    assert.equal((await s.session('a2'))?.userRole, 'viewer', 'a role change keeps the session, with the new role');
    await s.updateUser('alice', { passwordHash: 'h2' });
    assert.equal(await s.session('a2'), undefined, 'a new password ends every session');
    assert.ok(await s.session('r1'), "not another user's");
    await s.createSession(session('a3', 'alice'));
    await s.updateUser('alice', { disabled: true });
    assert.equal(await s.session('a3'), undefined);
    await s.updateUser('alice', { disabled: false });
    await s.createSession(session('a4', 'alice'));
    await s.deleteUser('alice');
    assert.equal(await s.session('a4'), undefined);
    // Stale: past the absolute end, or idle since before the bound.
    await s.createSession({ ...session('old', 'root'), expiresAt: 2000 });
    await s.createSession({ ...session('idle', 'root'), lastSeenAt: 100 });
    assert.equal(await s.deleteStaleSessions(2000, 500), 2);
    assert.ok(await s.session('r1'));
  }));

test(`${backend}: API tokens: by hash with their user, listed, touched, revoked once; gone with their user`, () =>
  withTestStore(async (s) => {
    await s.createUser({ name: 'root', role: 'admin', passwordHash: 'h', createdAt: 1 });
    await s.createUser({ name: 'ops', role: 'operator', passwordHash: 'h', createdAt: 1 });
    const t1 = await s.createApiToken({
      hash: 'x1',
      name: 'backup',
      user: 'ops',
      role: 'viewer',
      createdAt: 10,
      expiresAt: null,
    });
    const t2 = await s.createApiToken({
      hash: 'x2',
      name: 'ci',
      user: 'root',
      role: 'admin',
      createdAt: 11,
      expiresAt: 99,
    });
    assert.notEqual(t1, t2);
    assert.deepEqual(await s.apiToken('x1'), {
      id: t1,
      name: 'backup',
      user: 'ops',
      role: 'viewer',
      createdAt: 10,
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      userRole: 'operator',
      userDisabled: false,
    });
    await s.touchApiToken(t1, 50);
    assert.equal((await s.apiToken('x1'))?.lastUsedAt, 50);
    assert.deepEqual(
      (await s.apiTokens()).map((t) => [t.id, t.name, t.user, t.expiresAt]),
      [
        [t1, 'backup', 'ops', null],
        [t2, 'ci', 'root', 99],
      ],
    );
    assert.ok(!JSON.stringify(await s.apiTokens()).includes('x1'), 'the list shows no hash');
    assert.equal(await s.revokeApiToken(t2, 60), true);
    assert.equal(await s.revokeApiToken(t2, 61), false);
    assert.equal(await s.revokeApiToken(999, 61), false);
    assert.equal((await s.apiToken('x2'))?.revokedAt, 60);
    await s.deleteUser('ops');
    assert.equal(await s.apiToken('x1'), undefined);
    assert.deepEqual(
      (await s.apiTokens()).map((t) => t.id),
      [t2],
    );
  }));
