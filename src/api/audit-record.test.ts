import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditEntryOf, audited, redactValue } from './audit-record.ts';

test('changes, exports and logins are audited; other reads, node statuses and unknown URLs are not', () => {
  assert.ok(audited('POST', '/api/v1/servers/:id/failover'));
  assert.ok(audited('PUT', '/api/v1/config'));
  assert.ok(audited('POST', '/api/v1/login'));
  assert.ok(audited('DELETE', '/api/v1/tokens/:id'));
  assert.ok(audited('GET', '/api/v1/cameras/:id/export.mp4'));
  assert.ok(audited('HEAD', '/api/v1/cameras/:id/export.mp4'), 'HEAD builds the export as GET does');
  assert.ok(!audited('GET', '/api/v1/cameras'));
  assert.ok(!audited('GET', '/api/v1/nodes/:id/assignment'));
  assert.ok(!audited('POST', '/api/v1/nodes/:id/status'), 'telemetry twice a second per server');
  assert.ok(!audited('POST', undefined), 'no route matched');
});

test('credentials never reach the audit log: secret fields dropped, URLs redacted, at any depth', () => {
  assert.deepEqual(
    redactValue({
      user: 'alice',
      password: 'hunter2',
      setupToken: 'st_x',
      nested: { apiKey: 'k', passwd: 'p', list: ['rtsp://admin:pw@10.0.0.1/c1', 'plain'], newPassword: 'x' },
      cookie: 'vigil_session=vs_x',
    }),
    { user: 'alice', nested: { list: ['rtsp://admin:***@10.0.0.1/c1', 'plain'] } },
  );
});

test('an entry names its target and keeps path, query and body; a configuration change keeps its summary instead', () => {
  const base = { actor: 'user:alice', address: '10.0.0.5' };
  assert.deepEqual(
    auditEntryOf(
      {
        ...base,
        method: 'POST',
        route: '/api/v1/cameras/:id/move',
        params: { id: 'c1' },
        query: {},
        body: { to: 's2' },
      },
      200,
      1000,
    ),
    {
      at: 1000,
      actor: 'user:alice',
      address: '10.0.0.5',
      method: 'POST',
      route: '/api/v1/cameras/:id/move',
      target: 'c1',
      params: { params: { id: 'c1' }, body: { to: 's2' } },
      summary: null,
      status: 200,
    },
  );
  const config = auditEntryOf(
    { ...base, method: 'PUT', route: '/api/v1/config', params: {}, query: {}, body: { cameras: [] } },
    200,
    1,
    'servers +1 −0 ~0',
  );
  assert.deepEqual([config.target, config.params, config.summary], [null, {}, 'servers +1 −0 ~0']);
  const login = auditEntryOf(
    {
      ...base,
      actor: 'anonymous',
      method: 'POST',
      route: '/api/v1/login',
      params: {},
      query: {},
      body: { user: 'bob', password: 'x' },
    },
    401,
    1,
  );
  assert.deepEqual([login.actor, login.params, login.status], ['anonymous', { body: { user: 'bob' } }, 401]);
  const big = auditEntryOf(
    {
      ...base,
      method: 'POST',
      route: '/x/:server/:camera',
      params: { server: 's1', camera: 'c1' },
      query: { from: '1' },
      body: { x: 'y'.repeat(5000) },
    },
    200,
    1,
  );
  assert.deepEqual(
    [big.target, big.params],
    ['s1', { params: { server: 's1', camera: 'c1' }, query: { from: '1' }, body: { omitted: '5008 characters' } }],
  );
});
