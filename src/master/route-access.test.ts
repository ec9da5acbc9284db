import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HTTPMethods, RouteOptions } from 'fastify';
import { Store } from '../store/store.ts';
import { testDbLocation } from '../store/test-db.ts';
import { Controller } from '../controller/controller.ts';
import { accessOf, type Access } from '../auth/route-rules.ts';
import { addTestUser } from '../auth/test-users.ts';
import { createLogger } from '../lib/log.ts';
import { masterApp } from './master-app.ts';
import { aliveKeyring } from '../health/alive-keys.ts';
import { appTestPki } from '../auth/test-pki.ts';

// THE TABLE TEST: every route the master registers has an access rule, and each rule holds: no
// credential is 401 (but on public routes), a viewer is refused operator and admin routes, an
// operator admin routes, a person the node channel, a server everything but its own channel.

const log = createLogger('t', 'silent');

test("every route of the master's app has an access rule, and each rule is enforced", async (t) => {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  const controller = new Controller({ store, log, tickMs: 0, aliveKeyOf: aliveKeyring(Buffer.alloc(32, 7)) });
  await controller.start();
  const routes: { method: string; url: string }[] = [];
  const appPki = await appTestPki(store, log);
  t.after(() => appPki.remove());
  const app = await masterApp({
    log,
    controller,
    store,
    ...appPki,
    // A stand-in for the certificate check: the test names the server in a header.
    identifyServer: async (req) => req.headers['x-test-server'] as string | undefined,
    onRoute: (r: RouteOptions) => {
      for (const method of ([] as HTTPMethods[]).concat(r.method)) routes.push({ method, url: r.url });
    },
  });
  t.after(async () => {
    await app.close();
    await controller.close();
    await store.close();
    await drop();
  });
  await app.ready();
  const bearer = async (name: string, role: 'viewer' | 'operator' | 'admin') => ({
    authorization: `Bearer ${await addTestUser(store, name, role)}`,
  });
  const as = {
    nobody: {},
    viewer: await bearer('vera', 'viewer'),
    operator: await bearer('otto', 'operator'),
    admin: await bearer('ada', 'admin'),
    server: { 'x-test-server': 's1' },
  };

  const missing = routes.filter((r) => accessOf(r.method, r.url) === undefined).map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(missing, [], `routes without an access rule in src/auth/route-rules.ts:\n${missing.join('\n')}`);
  assert.ok(routes.length >= 30, `${routes.length} routes collected`);

  // The table itself: open routes and operators' ones are exactly these; every other write is an admin's.
  const withRule = (...a: Access[]) =>
    routes
      .filter((r) => a.includes(accessOf(r.method, r.url)!))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
  assert.deepEqual(
    withRule('public', 'join').filter((r) => !r.startsWith('HEAD ')),
    [
      'GET /',
      'GET /*',
      'GET /api/v1/ca.pem',
      'GET /api/v1/health',
      'GET /api/v1/openapi.json',
      'GET /assets/:file',
      'POST /api/v1/enroll',
      'POST /api/v1/login',
      'POST /api/v1/setup',
    ],
  );
  assert.deepEqual(withRule('operator'), [
    // verify has every server read a day of a camera's files in full: an operator's call, not a viewer's.
    'GET /api/v1/verify',
    'HEAD /api/v1/verify',
    'POST /api/v1/cameras/:id/move',
    'POST /api/v1/servers/:id/drain',
    'POST /api/v1/servers/:id/failback',
    'POST /api/v1/servers/:id/failover',
    'POST /api/v1/servers/:id/resume',
  ]);
  assert.deepEqual(
    withRule('admin').filter((r) => r.startsWith('GET ')),
    ['GET /api/v1/audit', 'GET /api/v1/config', 'GET /api/v1/tokens', 'GET /api/v1/users'],
    "an admin's reads: the audit log, people, and the configuration (it shows hosts and storage paths)",
  );
  const ownWrites = ['POST /api/v1/logout', 'PUT /api/v1/me/password', 'POST /api/v1/nodes/:id/status'];
  assert.deepEqual(
    withRule('viewer', 'server-self').filter((r) => !/^(GET|HEAD) /.test(r) && !ownWrites.includes(r)),
    [],
    'a viewer writes nothing but their own session and password',
  );

  /** Who must be refused on a rule, with the status. */
  const refusedBy: Record<Access, Partial<Record<keyof typeof as, 401 | 403>>> = {
    public: {},
    join: {},
    viewer: { nobody: 401, server: 403 },
    operator: { nobody: 401, viewer: 403, server: 403 },
    admin: { nobody: 401, viewer: 403, operator: 403, server: 403 },
    'server-self': { nobody: 401, viewer: 403, operator: 403, admin: 403 },
  };
  const wrong: string[] = [];
  for (const r of routes) {
    const access = accessOf(r.method, r.url)!;
    // Parameters that match nothing (404 behind the gate), but the node channel's own server.
    const url = r.url.replace(/:(\w+)/g, (_, p: string) => (p === 'id' && access === 'server-self' ? 's1' : 'x'));
    for (const [who, headers] of Object.entries(as) as [keyof typeof as, Record<string, string>][]) {
      const res = await app.inject({ method: r.method as 'GET', url, headers });
      const want = refusedBy[access][who];
      const got = res.statusCode;
      if (want ? got !== want : got === 401 || got === 403)
        wrong.push(`${r.method} ${r.url} (${access}) as ${who}: ${got}, want ${want ?? 'not 401/403'}`);
    }
    if (access === 'server-self') {
      const other = await app.inject({
        method: r.method as 'GET',
        url: url.replace('/s1/', '/s2/'),
        headers: as.server,
      });
      if (other.statusCode !== 403) wrong.push(`${r.method} ${r.url}: s1 speaking for s2 got ${other.statusCode}`);
    }
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));

  // A URL of no route needs a credential before it is told there is nothing.
  assert.equal((await app.inject({ url: '/api/v1/nosuch' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api/v1/nosuch', headers: as.viewer })).statusCode, 404);
});
