import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Master } from '../master/master.ts';
import { masterApp } from '../master/master-app.ts';
import { Controller } from '../controller/controller.ts';
import { Store } from '../store/store.ts';
import { testDbLocation } from '../store/test-db.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createLogger } from '../lib/log.ts';
import { aliveKeyring } from '../health/alive-keys.ts';
import { appTestPki } from '../auth/test-pki.ts';
import { newFarmKey } from '../lib/farm-key.ts';
import { tlsFetch } from '../lib/http/tls.ts';

const PW = 'a long enough password';

/** A master with an empty store in a data dir of its own (so with a setup token), closed after the test. */
async function master(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-auth-'));
  const m = new Master({
    store: join(dir, 'farm.sqlite'),
    dataDir: dir,
    pkiDir: join(dir, 'pki'),
    host: '127.0.0.1',
    port: 0,
    farmKey: Buffer.from(newFarmKey()),
    log: createLogger('test', 'silent'),
  });
  await m.start();
  const http = tlsFetch({ ca: m.ca!.caPem });
  t.after(async () => {
    await http.destroy();
    await m.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await http.fetch(m.url + path, {
      method,
      headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const tokenFile = join(dir, 'setup-token');
  /** The first admin through the setup token, logged in: their bearer header. */
  const admin = async (name = 'root') => {
    const setupToken = readFileSync(tokenFile, 'utf8').trim();
    assert.equal((await call('POST', '/api/v1/setup', { setupToken, user: name, password: PW })).status, 200);
    return login(name, PW);
  };
  const login = async (user: string, password: string) => {
    const r = await call('POST', '/api/v1/login', { user, password, token: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { authorization: `Bearer ${r.body.secret as string}` };
  };
  return { m, dir, call, admin, login, tokenFile };
}

test('the first admin: only with the one-time setup token from the data dir, once', async (t) => {
  const f = await master(t);
  assert.equal(statSync(f.tokenFile).mode & 0o777, 0o600);
  const setupToken = readFileSync(f.tokenFile, 'utf8').trim();
  const setup = (body: object) => f.call('POST', '/api/v1/setup', { setupToken, user: 'root', password: PW, ...body });
  const wrong = await setup({ setupToken: 'vsu_guess' });
  assert.deepEqual([wrong.status, wrong.body.error.code], [403, 'FORBIDDEN']);
  const weak = await setup({ password: 'root' });
  assert.equal(weak.status, 400);
  assert.equal(weak.body.error.code, 'PASSWORD_REFUSED');
  assert.deepEqual(weak.body.error.details, [
    'a password needs at least 12 characters',
    'a password must not contain the user name',
  ]);
  assert.equal((await f.call('GET', '/api/v1/users')).status, 401, 'nobody is anybody before the setup');
  const ok = await setup({});
  assert.equal(ok.status, 200);
  assert.deepEqual([ok.body.name, ok.body.role], ['root', 'admin']);
  assert.equal(existsSync(f.tokenFile), false, 'the token file is gone once used');
  const again = await setup({ user: 'mallory' });
  assert.deepEqual([again.status, again.body.error.code], [409, 'SETUP_DONE']);
  const h = await f.login('root', PW);
  assert.deepEqual(
    (await f.call('GET', '/api/v1/users', undefined, h)).body.map((u: { name: string }) => u.name),
    ['root'],
  );
});

test('login: a session cookie (HttpOnly, SameSite=Strict, Secure), the secret only when asked; logout ends it', async (t) => {
  const f = await master(t);
  await f.admin('root');
  const r = await f.call('POST', '/api/v1/login', { user: 'root', password: PW });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['expiresAt', 'role', 'user']);
  assert.ok(r.body.expiresAt > Date.now() + 6 * 86_400_000);
  const cookie = r.headers.get('set-cookie')!;
  assert.match(
    cookie,
    /^vigil_session=vs_[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Secure; Path=\/; Max-Age=604800$/,
  );
  const session = { cookie: cookie.split(';')[0] };
  const me = await f.call('GET', '/api/v1/me', undefined, session);
  assert.deepEqual(me.body, { user: 'root', role: 'admin', via: 'session' });
  const out = await f.call('POST', '/api/v1/logout', undefined, session);
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie')!, /^vigil_session=; .*Max-Age=0$/);
  assert.equal((await f.call('GET', '/api/v1/me', undefined, session)).status, 401, 'the session is revoked');
  // The CLI's way: the secret in the answer, sent as a bearer.
  const cli = await f.login('root', PW);
  assert.equal((await f.call('GET', '/api/v1/me', undefined, cli)).body.via, 'session');
  await f.call('POST', '/api/v1/logout', undefined, cli);
  assert.equal((await f.call('GET', '/api/v1/me', undefined, cli)).status, 401);
});

test('failed logins (a fake clock): one answer for an unknown user and a wrong password; slowed after 5, with Retry-After', async (t) => {
  const { location, drop } = await testDbLocation();
  const store = await Store.open(location);
  const log = createLogger('t', 'silent');
  const controller = new Controller({ store, log, tickMs: 0, aliveKeyOf: aliveKeyring(Buffer.alloc(32, 7)) });
  await controller.start();
  const clock = { now: 1_700_000_000_000 };
  const appPki = await appTestPki(store, log);
  t.after(() => appPki.remove());
  const app = await masterApp({
    log,
    controller,
    store,
    ...appPki,
    now: () => clock.now,
  });
  t.after(async () => {
    await app.close();
    await controller.close();
    await store.close();
    await drop();
  });
  await store.createUser({ name: 'root', role: 'admin', passwordHash: await hashPassword(PW), createdAt: clock.now });
  const attempt = async (user: string, password: string) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { user, password } });
    return { status: r.statusCode, body: r.json(), retryAfter: r.headers['retry-after'] };
  };
  const unknown = await attempt('nobody', PW);
  const wrong = await attempt('root', 'not the password');
  assert.equal(unknown.status, 401);
  assert.deepEqual(unknown.body, wrong.body, 'the same answer: the user names stay secret');
  assert.equal(wrong.body.error.message, 'wrong user name or password');
  for (let i = 0; i < 4; i++) assert.equal((await attempt('root', `guess ${i}`)).status, 401, `guess ${i}`);
  const slowed = await attempt('root', 'guess 5');
  assert.deepEqual([slowed.status, slowed.body.error.code, slowed.retryAfter], [429, 'TOO_MANY_REQUESTS', '1']);
  assert.equal((await attempt('root', PW)).status, 429, 'even the right password waits');
  clock.now += 1000;
  assert.equal((await attempt('root', 'guess 6')).status, 401, 'after the wait, one more try');
  assert.equal((await attempt('root', PW)).retryAfter, '2', 'and the next wait is twice as long');
  clock.now += 2000;
  assert.equal((await attempt('root', PW)).status, 200, 'the right password, after the wait');
  assert.equal((await attempt('root', 'guess 7')).status, 401, 'success cleared the count');
  // Unknown names are slowed alike; other users are not.
  for (let i = 0; i < 5; i++) await attempt('ghost', `guess ${i}`);
  assert.equal((await attempt('ghost', 'x')).status, 429);
  assert.equal((await attempt('other', 'x')).status, 401);
  // The address: 20 failures from it, whatever the names, slow every name from it.
  for (let i = 0; i < 20; i++) await attempt(`name${i}`, 'x');
  assert.equal((await attempt('someone', 'x')).status, 429);
});

test('users (admin): added under the password policy, changed, removed; the last admin stays; a new password ends sessions', async (t) => {
  const f = await master(t);
  const root = await f.admin('root');
  const add = (body: object) => f.call('POST', '/api/v1/users', body, root);
  assert.equal((await add({ name: 'vera', role: 'viewer', password: 'short' })).body.error.code, 'PASSWORD_REFUSED');
  assert.equal((await add({ name: 'vera', role: 'boss', password: PW })).status, 400);
  assert.equal((await add({ name: '../x', role: 'viewer', password: PW })).status, 400);
  const vera = await add({ name: 'vera', role: 'viewer', password: PW });
  assert.deepEqual([vera.status, vera.body.name, vera.body.role, vera.body.disabled], [200, 'vera', 'viewer', false]);
  assert.equal((await add({ name: 'vera', role: 'admin', password: PW })).body.error.code, 'NAME_TAKEN');
  const v = await f.login('vera', PW);
  assert.equal((await f.call('GET', '/api/v1/users', undefined, v)).status, 403, 'a viewer lists no users');
  assert.equal((await add.call(null, {})).status, 400);
  const list = await f.call('GET', '/api/v1/users', undefined, root);
  assert.deepEqual(
    list.body.map((u: { name: string; role: string }) => [u.name, u.role]),
    [
      ['root', 'admin'],
      ['vera', 'viewer'],
    ],
  );
  assert.ok(!JSON.stringify(list.body).includes('scrypt'), 'no password hash in the answer');
  const promoted = await f.call('PUT', '/api/v1/users/vera', { role: 'operator' }, root);
  assert.equal(promoted.body.role, 'operator');
  assert.equal((await f.call('GET', '/api/v1/me', undefined, v)).body.role, 'operator', 'the session has the new role');
  const reset = await f.call('PUT', '/api/v1/users/vera', { password: 'another long password' }, root);
  assert.equal(reset.status, 200);
  assert.equal((await f.call('GET', '/api/v1/me', undefined, v)).status, 401, 'her sessions ended');
  await f.login('vera', 'another long password');
  assert.equal((await f.call('PUT', '/api/v1/users/vera', {}, root)).status, 400, 'a change names something');
  assert.equal((await f.call('PUT', '/api/v1/users/nobody', { role: 'admin' }, root)).status, 404);
  const last = await f.call('PUT', '/api/v1/users/root', { role: 'viewer' }, root);
  assert.deepEqual([last.status, last.body.error.code], [409, 'LAST_ADMIN']);
  assert.equal((await f.call('DELETE', '/api/v1/users/root', undefined, root)).body.error.code, 'LAST_ADMIN');
  assert.equal((await f.call('DELETE', '/api/v1/users/vera', undefined, root)).status, 200);
  assert.equal(
    (await f.call('POST', '/api/v1/login', { user: 'vera', password: 'another long password' })).status,
    401,
  );
  assert.equal((await f.call('DELETE', '/api/v1/users/vera', undefined, root)).status, 404);
});

test("API tokens (admin): at most the creator's role, the secret shown once, listed without it, revoked at once", async (t) => {
  const f = await master(t);
  const root = await f.admin('root');
  const made = await f.call('POST', '/api/v1/tokens', { name: 'backup', role: 'viewer', expiresInDays: 30 }, root);
  assert.equal(made.status, 200);
  assert.match(made.body.secret, /^vt_/);
  assert.deepEqual([made.body.user, made.body.role, made.body.revokedAt], ['root', 'viewer', null]);
  assert.ok(Math.abs(made.body.expiresAt - (Date.now() + 30 * 86_400_000)) < 60_000);
  const bt = { authorization: `Bearer ${made.body.secret}` };
  assert.deepEqual((await f.call('GET', '/api/v1/me', undefined, bt)).body, {
    user: 'root',
    role: 'viewer',
    via: 'token',
    token: 'backup',
  });
  assert.equal((await f.call('GET', '/api/v1/tokens', undefined, bt)).status, 403, 'a viewer token is a viewer');
  assert.equal((await f.call('POST', '/api/v1/tokens', { name: 'backup' }, root)).body.error.code, 'NAME_TAKEN');
  const full = await f.call('POST', '/api/v1/tokens', { name: 'ci' }, root);
  assert.equal(full.body.role, 'admin', "the creator's role by default");
  const listed = await f.call('GET', '/api/v1/tokens', undefined, root);
  assert.deepEqual(
    listed.body.map((x: { name: string }) => x.name),
    ['backup', 'ci'],
  );
  assert.ok(!JSON.stringify(listed.body).includes(made.body.secret.slice(3, 20)), 'no secret listed');
  assert.equal((await f.call('DELETE', `/api/v1/tokens/${made.body.id}`, undefined, root)).status, 200);
  assert.equal((await f.call('GET', '/api/v1/me', undefined, bt)).status, 401, 'revoked at once');
  assert.equal((await f.call('DELETE', `/api/v1/tokens/${made.body.id}`, undefined, root)).status, 404);
  // An operator's admin token: refused (the role is at most the creator's, checked with the user's own).
  await f.call('POST', '/api/v1/users', { name: 'otto', role: 'admin', password: PW }, root);
  const otto = await f.login('otto', PW);
  const ottoToken = await f.call('POST', '/api/v1/tokens', { name: 'mine' }, otto);
  await f.call('PUT', '/api/v1/users/otto', { role: 'operator' }, root);
  const ot = { authorization: `Bearer ${ottoToken.body.secret}` };
  assert.equal((await f.call('GET', '/api/v1/me', undefined, ot)).body.role, 'operator', 'demoted, his token too');
  assert.equal((await f.call('GET', '/api/v1/tokens', undefined, ot)).status, 403);
});

test("one's own password: the old one needed, the policy applied, other sessions end, the caller's goes on", async (t) => {
  const f = await master(t);
  const root = await f.admin('root');
  const other = await f.login('root', PW);
  const change = (oldPassword: string, password: string) =>
    f.call('PUT', '/api/v1/me/password', { oldPassword, password }, root);
  assert.equal((await change('wrong old password', 'a new long password')).status, 401);
  assert.equal((await change(PW, 'short')).body.error.code, 'PASSWORD_REFUSED');
  const ok = await change(PW, 'a new long password');
  assert.equal(ok.status, 200);
  assert.match(ok.body.secret, /^vs_/, 'a CLI session gets its new secret');
  assert.equal((await f.call('GET', '/api/v1/me', undefined, other)).status, 401, 'the other session ended');
  assert.equal((await f.call('GET', '/api/v1/me', undefined, root)).status, 401, 'and the old secret');
  const renewed = { authorization: `Bearer ${ok.body.secret}` };
  assert.equal((await f.call('GET', '/api/v1/me', undefined, renewed)).status, 200);
  await f.login('root', 'a new long password');
  assert.equal((await f.call('POST', '/api/v1/login', { user: 'root', password: PW })).status, 401);
});
