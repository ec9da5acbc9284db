import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Store } from '../store/store.ts';
import { testDbLocation } from '../store/test-db.ts';
import { authHook } from './auth-hook.ts';
import { errorHandler } from '../lib/http/error-handler.ts';
import { createLogger } from '../lib/log.ts';
import { newSecret, secretHash } from '../auth/tokens.ts';
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../auth/session-policy.ts';
import type { Access } from '../auth/route-rules.ts';

const rules: Record<string, Access> = {
  'GET /open': 'public',
  'GET /look': 'viewer',
  'POST /act': 'operator',
  'PUT /admin': 'admin',
  'POST /nodes/:id/status': 'server-self',
};
const T0 = 1_700_000_000_000;

/** An app with the hook over a real store, a fake clock, and a stand-in identifyServer (header x-test-server). */
async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  const clock = { now: T0 };
  const app = Fastify();
  app.setErrorHandler(errorHandler(createLogger('t', 'silent'), 'test'));
  app.addHook(
    'onRequest',
    authHook({
      store,
      rules,
      now: () => clock.now,
      identifyServer: async (req) => req.headers['x-test-server'] as string | undefined,
    }),
  );
  const who = async (req: { principal?: unknown }) => ({ principal: req.principal ?? null });
  app.get('/open', who);
  app.get('/look', who);
  app.post('/act', who);
  app.put('/admin', who);
  app.post('/nodes/:id/status', who);
  app.get('/norule', who);
  t.after(async () => {
    await app.close();
    await store.close();
    await drop();
  });
  const token = async (user: string, role: 'viewer' | 'operator' | 'admin', extra: { expiresAt?: number } = {}) => {
    const secret = newSecret('token');
    const id = await store.createApiToken({
      hash: secretHash(secret),
      name: `${user}-${role}`,
      user,
      role,
      createdAt: T0,
      expiresAt: extra.expiresAt ?? null,
    });
    return { secret, id };
  };
  const session = async (user: string) => {
    const secret = newSecret('session');
    await store.createSession({
      hash: secretHash(secret),
      user,
      createdAt: clock.now,
      expiresAt: clock.now + SESSION_MAX_MS,
      lastSeenAt: clock.now,
    });
    return secret;
  };
  for (const [name, role] of [
    ['vera', 'viewer'],
    ['otto', 'operator'],
    ['ada', 'admin'],
  ] as const)
    await store.createUser({ name, role, passwordHash: 'x', createdAt: T0 });
  const call = async (method: string, url: string, headers: Record<string, string> = {}) => {
    const r = await app.inject({ method: method as 'GET', url, headers });
    return {
      status: r.statusCode,
      body: (method === 'HEAD' ? {} : r.json()) as { principal?: unknown; error?: { code: string; message: string } },
    };
  };
  const bearer = (s: string) => ({ authorization: `Bearer ${s}` });
  return { app, store, clock, token, session, call, bearer };
}

test('no credential: 401 in the error shape, except on public routes', async (t) => {
  const f = await fixture(t);
  assert.deepEqual(await f.call('GET', '/open'), { status: 200, body: { principal: null } });
  for (const [m, u] of [
    ['GET', '/look'],
    ['POST', '/act'],
    ['PUT', '/admin'],
    ['POST', '/nodes/s1/status'],
  ]) {
    const r = await f.call(m, u);
    assert.equal(r.status, 401, u);
    assert.deepEqual(r.body, {
      error: { code: 'UNAUTHORIZED', message: 'credentials needed: a login session or an API token', details: [] },
    });
  }
});

test('roles: a viewer looks, an operator acts, an admin administers; too low is 403', async (t) => {
  const f = await fixture(t);
  const v = f.bearer((await f.token('vera', 'viewer')).secret);
  const o = f.bearer((await f.token('otto', 'operator')).secret);
  const a = f.bearer((await f.token('ada', 'admin')).secret);
  const table: [Record<string, string>, string, string, number][] = [
    [v, 'GET', '/look', 200],
    [v, 'POST', '/act', 403],
    [v, 'PUT', '/admin', 403],
    [o, 'POST', '/act', 200],
    [o, 'PUT', '/admin', 403],
    [a, 'PUT', '/admin', 200],
    [a, 'GET', '/look', 200],
    [a, 'POST', '/nodes/s1/status', 403],
  ];
  for (const [h, m, u, status] of table)
    assert.equal((await f.call(m, u, h)).status, status, `${h.authorization} ${u}`);
  const refused = await f.call('POST', '/act', v);
  assert.deepEqual(refused.body.error, {
    code: 'FORBIDDEN',
    message: 'needs the operator role (vera is viewer)',
    details: [],
  });
  assert.deepEqual((await f.call('GET', '/look', o)).body.principal, {
    kind: 'user',
    user: 'otto',
    role: 'operator',
    via: 'token',
    token: 'otto-operator',
  });
});

test('a server speaks on the node channel for itself only, and nowhere else', async (t) => {
  const f = await fixture(t);
  const s1 = { 'x-test-server': 's1' };
  assert.deepEqual(await f.call('POST', '/nodes/s1/status', s1), {
    status: 200,
    body: { principal: { kind: 'server', server: 's1' } },
  });
  const other = await f.call('POST', '/nodes/s2/status', s1);
  assert.equal(other.status, 403);
  assert.equal(other.body.error?.message, 'server s1 may not speak for server s2');
  assert.equal((await f.call('GET', '/look', s1)).status, 403);
  // The server's identity comes first: a bearer beside it changes nothing.
  const v = f.bearer((await f.token('vera', 'viewer')).secret);
  assert.equal((await f.call('POST', '/nodes/s1/status', { ...s1, ...v })).status, 200);
});

test('sessions by bearer or cookie; idle 12 h or past 7 d they end (and are removed)', async (t) => {
  const f = await fixture(t);
  const s = await f.session('vera');
  assert.equal((await f.call('GET', '/look', f.bearer(s))).status, 200);
  const byCookie = await f.call('GET', '/look', { cookie: `theme=dark; vigil_session=${s}; x=1` });
  assert.deepEqual(byCookie.body.principal, { kind: 'user', user: 'vera', role: 'viewer', via: 'session' });
  // Used within the minute: not written; later: written, and the idle clock starts again.
  f.clock.now += 30_000;
  await f.call('GET', '/look', f.bearer(s));
  assert.equal((await f.store.session(secretHash(s)))?.lastSeenAt, T0);
  f.clock.now += 60_000;
  await f.call('GET', '/look', f.bearer(s));
  assert.equal((await f.store.session(secretHash(s)))?.lastSeenAt, T0 + 90_000);
  f.clock.now += SESSION_IDLE_MS - 1;
  assert.equal((await f.call('GET', '/look', f.bearer(s))).status, 200, 'just within the idle bound');
  f.clock.now += SESSION_IDLE_MS;
  const idle = await f.call('GET', '/look', f.bearer(s));
  assert.equal(idle.status, 401);
  assert.equal(idle.body.error?.message, 'invalid, expired or revoked credentials');
  assert.equal(await f.store.session(secretHash(s)), undefined, 'removed when met expired');
  // Used every hour, a session still ends 7 d after the login.
  const busy = await f.session('vera');
  const end = f.clock.now + SESSION_MAX_MS;
  while (f.clock.now + 3_600_000 < end) {
    f.clock.now += 3_600_000;
    assert.equal((await f.call('GET', '/look', f.bearer(busy))).status, 200);
  }
  f.clock.now = end;
  assert.equal((await f.call('GET', '/look', f.bearer(busy))).status, 401);
});

test('bad credentials are 401 (on public routes ignored): garbage, the old farm token, revoked, expired, a disabled or demoted user', async (t) => {
  const f = await fixture(t);
  for (const h of [
    { authorization: 'Bearer nonsense' },
    { authorization: 'Basic dmVyYTpwdw==' },
    { authorization: 'Bearer' },
    f.bearer(newSecret('token')),
    f.bearer(newSecret('session')),
    { cookie: `vigil_session=${newSecret('session')}` },
    f.bearer('a'.repeat(64)),
  ]) {
    assert.equal((await f.call('GET', '/look', h)).status, 401, JSON.stringify(h));
    assert.deepEqual(await f.call('GET', '/open', h), { status: 200, body: { principal: null } });
  }
  const revoked = await f.token('vera', 'viewer');
  await f.store.revokeApiToken(revoked.id, T0);
  assert.equal((await f.call('GET', '/look', f.bearer(revoked.secret))).status, 401);
  const expiring = await f.token('otto', 'viewer', { expiresAt: T0 + 1000 });
  assert.equal((await f.call('GET', '/look', f.bearer(expiring.secret))).status, 200);
  f.clock.now = T0 + 1000;
  assert.equal((await f.call('GET', '/look', f.bearer(expiring.secret))).status, 401);
  const vs = await f.session('vera');
  const vt = (await f.token('vera', 'viewer')).secret;
  await f.store.updateUser('vera', { disabled: true });
  assert.equal((await f.call('GET', '/look', f.bearer(vs))).status, 401);
  assert.equal((await f.call('GET', '/look', f.bearer(vt))).status, 401, "a disabled user's tokens open nothing");
  // An admin token of a user demoted since acts with the user's new role.
  const at = f.bearer((await f.token('ada', 'admin')).secret);
  await f.store.createUser({ name: 'ed', role: 'admin', passwordHash: 'x', createdAt: T0 });
  await f.store.updateUser('ada', { role: 'operator' });
  assert.equal((await f.call('PUT', '/admin', at)).status, 403);
  assert.equal((await f.call('POST', '/act', at)).status, 200);
});

test('a route without a rule answers 500; an unknown URL needs credentials before its 404', async (t) => {
  const f = await fixture(t);
  const a = f.bearer((await f.token('ada', 'admin')).secret);
  const none = await f.call('GET', '/norule', a);
  assert.equal(none.status, 500);
  assert.deepEqual(none.body.error, { code: 'INTERNAL', message: 'no access rule for GET /norule', details: [] });
  assert.equal((await f.call('GET', '/nosuch')).status, 401);
  assert.equal((await f.call('GET', '/nosuch', a)).status, 404);
  assert.equal((await f.call('HEAD', '/look')).status, 401, 'HEAD goes as its GET');
  assert.equal((await f.call('HEAD', '/look', a)).status, 200);
});
