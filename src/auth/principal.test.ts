import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorName, roleAtLeast } from './principal.ts';

test('roles are ordered viewer < operator < admin', () => {
  assert.equal(roleAtLeast('admin', 'operator'), true);
  assert.equal(roleAtLeast('operator', 'operator'), true);
  assert.equal(roleAtLeast('viewer', 'operator'), false);
  assert.equal(roleAtLeast('operator', 'admin'), false);
});

test('actors are named by kind', () => {
  assert.equal(actorName({ kind: 'user', user: 'alice', role: 'admin', via: 'session' }), 'user:alice');
  assert.equal(
    actorName({ kind: 'user', user: 'alice', role: 'viewer', via: 'token', token: 'backup' }),
    'token:alice/backup',
  );
  assert.equal(actorName({ kind: 'server', server: 's1' }), 'server:s1');
  assert.equal(actorName(undefined), 'anonymous');
});
