import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { stringify } from 'yaml';
import { VIGIL_BIN, runVigil, type VigilRun } from './support/run-vigil.ts';
import { tlsFetch, type TlsFetch } from '../src/lib/http/tls.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';

// Accounts end to end, every step a real `vigil` process against a real master (no recording
// servers: the accounts need none): the first admin by the store command and by the setup token,
// logins kept 0600, roles enforced (a viewer's failover refused, nothing changes), tokens, a
// password change, a brute force slowed. Loopback ports of H1's range (19100-19199).
const PORT = { store: 19110, setup: 19111 };
const farm = {
  settings: { FarmHealthStartDelayMs: 600_000 },
  groups: [{ id: 1, triggers: ['manual'] }],
  servers: [
    { id: 's1', group: 1, host: '127.0.0.1', udpPort: 19112 },
    { id: 's2', group: 1, host: '127.0.0.1', udpPort: 19113 },
  ],
  cameras: [{ id: 'c1', url: 'rtsp://127.0.0.1:19114/c1', server: 's1' }],
};
const PW = { admin: 'the admin password 1', vera: 'her own secret words', new: 'a brand new password' };

/**
 * A folder for the test and a `vigil master` on `port` started there (stopped and removed after the
 * test). Its API is HTTPS: `ca` is the farm CA it makes at its first start, `fetch` trusts it.
 */
function masterIn(t: TestContext, name: string, port: number) {
  const dir = mkdtempSync(join(tmpdir(), `vigil-e2e-${name}-`));
  writeFileSync(join(dir, 'farm.yaml'), stringify(farm));
  let proc: ChildProcess | undefined;
  let http: TlsFetch | undefined;
  t.after(async () => {
    await http?.destroy();
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const url = `https://127.0.0.1:${port}`;
  const data = join(dir, 'master');
  const ca = join(data, 'pki', 'ca.pem');
  const fetch = (path: string, init?: Parameters<TlsFetch['fetch']>[1]) => {
    http ??= tlsFetch({ ca: readFileSync(ca, 'utf8') });
    return http.fetch(url + path, init);
  };
  const start = async () => {
    proc = spawn(
      process.execPath,
      [VIGIL_BIN, 'master', '--data', data, '--config', join(dir, 'farm.yaml'), '--port', String(port)],
      { env: { ...process.env, VIGIL_FARM_KEY: newFarmKey() }, stdio: 'ignore' },
    );
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`master exited (${proc.exitCode})`);
      const up =
        existsSync(ca) &&
        (await fetch('/api/v1/health').then(
          (r) => r.ok,
          () => false,
        ));
      if (up) return;
      if (i > 300) throw new Error('master did not start');
      await delay(100);
    }
  };
  return { dir, data, url, ca, fetch, start, store: join(data, 'farm.sqlite') };
}

test('accounts with the CLI: the first admin, logins, roles, tokens, a password change, a brute force slowed', {
  timeout: 240_000,
}, async (t) => {
  const m = masterIn(t, 'accounts', PORT.store);
  const runs: VigilRun[] = [];
  // Each user's own config folder: the login (with the farm CA given to `vigil login --ca`).
  const as = (who: string) => ({
    XDG_CONFIG_HOME: join(m.dir, `config-${who}`),
    VIGIL_TOKEN: undefined,
    VIGIL_CA: undefined,
  });
  /** A token's run, with no login: it trusts the farm CA by $VIGIL_CA. */
  const byToken = (token: string) => ({ VIGIL_TOKEN: token, VIGIL_CA: m.ca });
  const vigil = async (who: string, args: string[], extra: Record<string, string | undefined> = {}, input?: string) => {
    const r = await runVigil(args, { ...as(who), ...extra }, 60_000, input);
    runs.push(r);
    return r;
  };
  const ok = (r: VigilRun, what: string) =>
    assert.equal(r.code, 0, `${what}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const refused = (r: VigilRun, what: string, message: RegExp) => {
    assert.notEqual(r.code, 0, `${what} refused\nstdout: ${r.stdout}`);
    assert.match(r.stderr, message, what);
  };
  const file = (name: string, text: string) => {
    const p = join(m.dir, name);
    writeFileSync(p, `${text}\n`, { mode: 0o600 });
    return p;
  };

  // The first admin, the "command" way: on the master's machine, straight on the store, before it starts.
  // A password refused by the policy first; then one from a file.
  refused(
    await vigil('root', ['user', 'add', 'root', '--role', 'admin', '--store', m.store], {}, 'short\n'),
    'a short password',
    /password refused, 1 problem\(s\):\n- a password needs at least 12 characters/,
  );
  ok(
    await vigil('root', [
      'user',
      'add',
      'root',
      '--role',
      'admin',
      '--store',
      m.store,
      '--password-file',
      file('root.pw', PW.admin),
    ]),
    'user add --store',
  );
  await m.start();
  assert.equal(existsSync(join(m.data, 'setup-token')), false, 'a farm with users has no setup token');

  // Log in: the session kept in the config folder, 0700 / 0600.
  const login = await vigil('root', ['login', '--master', m.url, '--ca', m.ca, '--user', 'root'], {}, `${PW.admin}\n`);
  ok(login, 'login');
  const saved = join(m.dir, 'config-root', 'vigil', 'credentials.json');
  assert.equal(statSync(join(m.dir, 'config-root', 'vigil')).mode & 0o777, 0o700);
  assert.equal(statSync(saved).mode & 0o777, 0o600);
  const rootLogin = JSON.parse(readFileSync(saved, 'utf8')) as { master: string; secret: string; ca?: string };
  const rootSecret = rootLogin.secret;
  assert.match(rootSecret, /^vs_/);
  assert.equal(rootLogin.ca, m.ca, 'the login keeps the farm CA the other verbs trust the master by');

  // Users: a viewer added (the password from stdin), listed.
  ok(await vigil('root', ['user', 'add', 'vera', '--role', 'viewer'], {}, `${PW.vera}\n`), 'user add vera');
  refused(await vigil('root', ['user', 'add', 'vera'], {}, `${PW.vera}\n`), 'vera again', /user vera exists already/);
  const list = await vigil('root', ['user', 'list']);
  ok(list, 'user list');
  assert.match(list.stdout, /^root\s+admin\s+\S+\s+enabled$/m);
  assert.match(list.stdout, /^vera\s+viewer\s+\S+\s+enabled$/m);

  // A viewer sees the farm, but her failover is refused and nothing changes.
  ok(
    await vigil('vera', ['login', '--master', m.url, '--ca', m.ca, '--user', 'vera'], {}, `${PW.vera}\n`),
    'vera logs in',
  );
  ok(await vigil('vera', ['status']), "vera's status");
  const failovers = async (who: string) => (await vigil(who, ['status'])).stdout.split('FAILOVERS')[1].trim();
  refused(await vigil('vera', ['failover', 's1']), "vera's failover", /needs the operator role \(vera is viewer\)/);
  refused(await vigil('vera', ['user', 'list']), "vera's user list", /needs the admin role/);
  assert.equal(await failovers('root'), '', 'no failover logged');
  assert.match((await vigil('root', ['status'])).stdout, /^c1\s+s1\s+s1\s/m, 'c1 stays on s1');

  // Promoted to operator, her session acts at once.
  ok(await vigil('root', ['user', 'role', 'vera', 'operator']), 'user role');
  const fo = await vigil('vera', ['failover', 's1']);
  ok(fo, "the operator's failover");
  assert.match(fo.stdout, /^manual #\d+ \w+: c1→s2$/m);

  // Tokens: created (secret on stdout alone), used through VIGIL_TOKEN, listed, revoked.
  const made = await vigil('root', ['token', 'create', 'backup', '--role', 'viewer', '--expires-days', '30']);
  ok(made, 'token create');
  const secret = made.stdout.trim();
  assert.match(secret, /^vt_[A-Za-z0-9_-]{43}$/);
  ok(await vigil('nobody', ['status', '--master', m.url], byToken(secret)), 'status with the token');
  refused(
    await vigil('nobody', ['drain', 's2', '--master', m.url], byToken(secret)),
    'a viewer token drains nothing',
    /needs the operator role/,
  );
  const tokens = await vigil('root', ['token', 'list']);
  ok(tokens, 'token list');
  const id = /^(\d+)\s+backup\s+root\s+viewer\s+\S+\s+\S+\s+active$/m.exec(tokens.stdout)?.[1];
  assert.ok(id, tokens.stdout);
  ok(await vigil('root', ['token', 'revoke', id]), 'token revoke');
  refused(
    await vigil('nobody', ['status', '--master', m.url], byToken(secret)),
    'a revoked token',
    /invalid, expired or revoked credentials/,
  );

  // Vera changes her own password (old, then new, on stdin): her login goes on with a new session.
  ok(await vigil('vera', ['user', 'passwd'], {}, `${PW.vera}\n${PW.new}\n`), 'own passwd');
  ok(await vigil('vera', ['status']), 'the saved login was renewed');
  refused(
    await vigil('other', ['login', '--master', m.url, '--ca', m.ca, '--user', 'vera'], {}, `${PW.vera}\n`),
    'the old password',
    /wrong user name or password/,
  );

  // Brute force (a client guessing as fast as it can): after 5 wrong passwords the master makes it
  // wait (429, Retry-After), even for the right one. A CLI run shows each wrong one as such.
  refused(
    await vigil('mallory', ['login', '--master', m.url, '--ca', m.ca, '--user', 'root'], {}, 'guess number 0\n'),
    'a wrong password',
    /wrong user name or password/,
  );
  const guess = (password: string) =>
    m.fetch('/api/v1/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'root', password }),
    });
  for (let i = 1; i < 5; i++) assert.equal((await guess(`guess number ${i}`)).status, 401);
  const slowed = await guess(PW.admin);
  assert.equal(slowed.status, 429, 'the right password waits too');
  assert.match(slowed.headers.get('retry-after') ?? '', /^\d+$/);
  assert.match(((await slowed.json()) as { error: { message: string } }).error.message, /too many failed logins/);

  // Removing: vera goes (her login with her); the last admin cannot.
  ok(await vigil('root', ['user', 'remove', 'vera']), 'user remove');
  refused(await vigil('vera', ['status']), "vera's login after removal", /invalid, expired or revoked credentials/);
  refused(await vigil('root', ['user', 'remove', 'root']), 'the last admin', /root is the last admin/);
  ok(await vigil('root', ['logout']), 'logout');
  assert.equal(existsSync(saved), false);
  refused(await vigil('root', ['status', '--master', m.url], byToken(rootSecret)), 'a session logged out', /invalid/);

  // No run printed a password or a secret but the token created, once.
  for (const r of runs)
    for (const s of [PW.admin, PW.vera, PW.new, rootSecret]) {
      assert.ok(!r.stdout.includes(s), `stdout free of secrets: ${r.stdout}`);
      assert.ok(!r.stderr.includes(s), `stderr free of secrets: ${r.stderr}`);
    }
});

test('the first admin by the setup token the master wrote at its first start (0600), used once', {
  timeout: 120_000,
}, async (t) => {
  const m = masterIn(t, 'setup', PORT.setup);
  await m.start();
  const tokenFile = join(m.data, 'setup-token');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();
  const env = { XDG_CONFIG_HOME: join(m.dir, 'config'), VIGIL_TOKEN: undefined, VIGIL_CA: undefined };
  const add = (user: string) =>
    runVigil(
      ['user', 'add', user, '--role', 'admin', '--setup-token', token, '--master', m.url, '--ca', m.ca],
      env,
      60_000,
      `${PW.admin}\n`,
    );
  const first = await add('boss');
  assert.equal(first.code, 0, first.stderr);
  assert.equal(existsSync(tokenFile), false, 'used, the token file is gone');
  const second = await add('mallory');
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, /this farm has users already/);
  const login = await runVigil(
    ['login', '--master', m.url, '--ca', m.ca, '--user', 'boss'],
    env,
    60_000,
    `${PW.admin}\n`,
  );
  assert.equal(login.code, 0, login.stderr);
  const list = await runVigil(['user', 'list'], env);
  assert.match(list.stdout, /^boss\s+admin\s/m);
  assert.doesNotMatch(list.stdout, /mallory/);
});
