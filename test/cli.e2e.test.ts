import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LocalFarm } from '../src/farm/local-farm.ts';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { newFarmKey } from '../src/lib/farm-key.ts';
import { legacyFarmToken } from './support/legacy-farm-token.ts';
import { VIGIL_BIN, runVigil, segmentFiles, type VigilRun } from './support/run-vigil.ts';
import { spawn } from 'node:child_process';
import { loadIdentity } from '../src/node/node-identity.ts';
import { tlsFetch } from '../src/lib/http/tls.ts';
import { farmClientTls } from '../src/auth/peer-identity.ts';

// Fixed loopback ports away from the other end-to-end tests (18380 … 19054 families) and the defaults.
const MASTER_PORT = 19180;
const RTSP_PORT = 19254;
const UDP_BASE = 19245;
const FARM_KEY = newFarmKey();
const PASSWORD = 'cam-s3cret';
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: 1500,
  FarmHealthStartDelayMs: 12_000,
  StatusIntervalMs: 250,
};

interface Camera {
  id: string;
  homeServer: string;
  currentServer: string;
  recording: string;
  handover: { to: string } | null;
}
interface Server {
  id: string;
  role: string;
  state: string;
  maintenance: boolean;
  cameras: string[];
}
interface Failover {
  id: number;
  server: string;
  trigger: string;
  status: string;
  detail: { copyBack?: { state: string }[] };
}

// Triggers "manual" only: every move in this test is a verb's, none a slow start's. The cameras'
// URLs carry credentials, which no verb may print.
const config = (cameras: [string, string][]): FarmConfigInput => ({
  settings,
  groups: [{ id: 1, policy: 'spare', onReturn: 'failback', triggers: ['manual'] }],
  servers: ['s1', 's2', 's3'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: UDP_BASE + i })),
  cameras: cameras.map(([id, server]) => ({
    id,
    url: `rtsp://viewer:${PASSWORD}@127.0.0.1:${RTSP_PORT}/${id}`,
    server,
  })),
});

test('the CLI verbs, each a real process against a real farm: status, apply (and a refused apply), failover, failback, drain, resume, move, bad input', {
  timeout: 300_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-cli-'));
  const farm = new LocalFarm({ dir, farmKey: FARM_KEY, masterPort: MASTER_PORT });
  t.after(async () => {
    await farm.close();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  // The verbs use the login `vigil login --ca` saved in this config folder: the master, its secret and
  // the farm CA they trust it by (none in `nobody`'s, who trusts the farm CA by $VIGIL_CA).
  const loggedIn = {
    XDG_CONFIG_HOME: join(dir, 'config'),
    VIGIL_TOKEN: undefined,
    VIGIL_FARM_KEY: undefined,
    VIGIL_CA: undefined,
  };
  const nobody = { ...loggedIn, XDG_CONFIG_HOME: join(dir, 'no-config'), VIGIL_CA: farm.caFile };
  const runs: VigilRun[] = [];
  /** A verb run as a user runs it, against this farm's master, with the saved login unless told otherwise. */
  const vigil = async (args: string[], env: Record<string, string | undefined> = loggedIn) => {
    const r = await runVigil(args.includes('--master') ? args : [...args, '--master', farm.masterUrl], env);
    runs.push(r);
    return r;
  };
  const ok = (r: VigilRun, what: string) =>
    assert.equal(r.code, 0, `${what} exits 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const refused = (r: VigilRun, what: string) => {
    assert.notEqual(r.code, 0, `${what} exits non-zero\nstdout: ${r.stdout}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: a message, no stack trace: ${r.stderr}`);
  };
  const cameras = () => farm.api<Camera[]>('/api/v1/cameras');
  const camera = async (id: string) => (await cameras()).find((c) => c.id === id)!;
  const server = async (id: string) => (await farm.api<Server[]>('/api/v1/servers')).find((s) => s.id === id)!;
  const failovers = () => farm.api<Failover[]>('/api/v1/failovers');
  const settled = (id: string, on: string) =>
    farm.waitFor(
      async () => {
        const c = await camera(id);
        return c.currentServer === on && !c.handover && c.recording === 'recording';
      },
      45_000,
      `${id} recording on ${on}`,
    );
  const storage = (s: string, cam: string) => join(dir, 'nodes', s, 'storage', cam);
  /** Segments of `cam` that server `s` recorded itself (its own name, no copy) on its disk. */
  const ownSegments = (s: string, cam: string) => segmentFiles(storage(s, cam)).filter((f) => f.endsWith(`_${s}.ts`));

  await farm.startSim(RTSP_PORT, ['c1', 'c2', 'c3']);
  await farm.startMaster(
    config([
      ['c1', 's1'],
      ['c2', 's2'],
    ]),
  );
  for (const s of ['s1', 's2', 's3']) farm.startNode(s);
  await settled('c1', 's1');
  await settled('c2', 's2');

  // Nothing without a login; then `vigil login` (the password from a file, never the command line).
  const anonymous = await vigil(['status'], nobody);
  refused(anonymous, 'status without a login');
  assert.match(anonymous.stderr, /credentials needed/);
  assert.match(anonymous.stderr, /vigil login --master/);
  const passwordFile = join(dir, 'admin.password');
  writeFileSync(passwordFile, `${farm.admin.password}\n`, { mode: 0o600 });
  // Over TLS: without the farm CA the master is not trusted (no password sent), with --ca it is.
  const untrusted = await vigil(
    ['login', '--master', farm.masterUrl, '--user', 'admin', '--password-file', passwordFile],
    { ...loggedIn, XDG_CONFIG_HOME: join(dir, 'untrusted') },
  );
  refused(untrusted, 'login to a master not trusted');
  assert.match(untrusted.stderr, /--ca <master data>\/pki\/ca\.pem/);
  const login = await vigil([
    'login',
    '--master',
    farm.masterUrl,
    '--ca',
    farm.caFile,
    '--user',
    'admin',
    '--password-file',
    passwordFile,
  ]);
  ok(login, 'login');
  assert.match(login.stdout, /^logged in to https:\/\/127\.0\.0\.1:\d+ as admin \(admin\) until /);

  // status: a table of servers and cameras.
  const status = await vigil(['status']);
  ok(status, 'status');
  assert.match(status.stdout, /^SERVER\s+GROUP\s+ROLE\s+STATE\s+CLOCK\s+CAMERAS$/m);
  assert.match(status.stdout, /^s1\s+1\s+active\s+up\s+(?:[+-]?\d+ms!?|-)\s+c1$/m);
  assert.match(status.stdout, /^s3\s+1\s+redundant\s+up\s+(?:[+-]?\d+ms!?|-)\s*$/m);
  assert.match(status.stdout, /^c1\s+s1\s+s1\s+recording$/m);
  assert.match(status.stdout, /^FAILOVERS\n?$/m);
  // The one master leads (a fresh store's first lease is term 2: the lease row starts at 1), and is
  // the one master listed, as the one answering.
  assert.match(status.stdout, /^MASTER {2}\S+ leading \(term \d+, sqlite store, Vigil \d+\.\d+\.\d+/m);
  assert.match(
    status.stdout,
    /^ {2}\S+ +https:\/\/127\.0\.0\.1:\d+ +leader +seen \d+s ago +Vigil \S+ +\(answering\)$/m,
  );
  // Every read verb speaks JSON on request: one document on stdout.
  for (const verb of [['status'], ['failovers'], ['audit', '--limit', '5'], ['user', 'list'], ['token', 'list']]) {
    const r = await vigil([...verb, '--json']);
    ok(r, `${verb.join(' ')} --json`);
    assert.doesNotThrow(() => JSON.parse(r.stdout), `${verb.join(' ')} --json prints JSON: ${r.stdout.slice(0, 200)}`);
  }
  const statusJson = JSON.parse((await vigil(['status', '--json'])).stdout);
  assert.equal(statusJson.master.leader, true, 'the whole GET /api/v1/master answer');
  assert.equal(statusJson.master.masters.length, 1);
  assert.deepEqual(Object.keys(statusJson), ['master', 'servers', 'cameras', 'copybacks', 'failovers']);
  const version = await vigil(['--version']);
  ok(version, '--version');
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);

  // apply: a third camera on s2.
  const applied = join(dir, 'applied.yaml');
  const three = config([
    ['c1', 's1'],
    ['c2', 's2'],
    ['c3', 's2'],
  ]);
  writeFileSync(applied, stringify(three));
  const apply = await vigil(['apply', applied]);
  ok(apply, 'apply');
  assert.equal(apply.stdout.trim(), 'applied');
  await settled('c3', 's2');
  const before = await farm.api<FarmConfigInput>('/api/v1/config');
  assert.deepEqual(
    before.cameras.map((c) => [c.id, c.server]),
    [
      ['c1', 's1'],
      ['c2', 's2'],
      ['c3', 's2'],
    ],
  );

  // A refused apply names every problem, exits non-zero and changes nothing.
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    stringify({
      ...three,
      groups: [{ id: 1, policy: 'spare', failbackAfterMs: 1000, triggers: ['manual'] }],
      servers: [...three.servers, { id: 's4', group: 1, host: '127.0.0.1', udpPort: UDP_BASE + 3, colour: 'blue' }],
      cameras: [
        ...three.cameras,
        { id: 'c9', url: `rtsp://viewer:${PASSWORD}@127.0.0.1:${RTSP_PORT}/c9`, server: 'nosuch' },
        { id: 'c10', url: `http://viewer:${PASSWORD}@127.0.0.1/c10`, server: 's1' },
      ],
    }),
  );
  const no = await vigil(['apply', bad]);
  refused(no, 'a refused apply');
  for (const problem of [
    /configuration refused, 4 problem\(s\)/,
    /\/servers\/3\/colour: Unexpected property/,
    /\/cameras\/3\/server: unknown server "nosuch"/,
    /\/cameras\/4\/url: camera "c10": not a valid rtsp:\/\/ or rtsps:\/\/ URL/,
    /\/groups\/0\/failbackAfterMs: only with onReturn "failback"/,
  ])
    assert.match(no.stderr, problem);
  assert.doesNotMatch(no.stdout, /applied/);
  assert.deepEqual(await farm.api<FarmConfigInput>('/api/v1/config'), before, 'nothing applied');
  // YAML that does not parse (the README's old example did this) is refused before it reaches the master.
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'servers:\n  - { id: s1, group: 1, host: 127.0.0.1 }\n    storage:\n      paths: /x\n');
  const unparsed = await vigil(['apply', broken]);
  refused(unparsed, 'apply of broken YAML');
  assert.match(unparsed.stderr, /Sequence item without - indicator/);
  // No credential, a wrong one, or the farm key's old token: refused, nothing applied.
  const keyless = await vigil(['apply', applied], nobody);
  refused(keyless, 'apply without a login');
  assert.match(keyless.stderr, /credentials needed/);
  const wrongToken = await vigil(['apply', bad, '--token', 'vt_not-a-token']);
  refused(wrongToken, 'apply with a wrong token');
  assert.match(wrongToken.stderr, /invalid, expired or revoked credentials/);
  const farmToken = await vigil(['apply', bad], {
    ...nobody,
    VIGIL_TOKEN: legacyFarmToken(FARM_KEY),
  });
  refused(farmToken, "apply with the farm key's token");
  assert.match(farmToken.stderr, /invalid, expired or revoked credentials/);
  assert.deepEqual(await farm.api<FarmConfigInput>('/api/v1/config'), before, 'still nothing applied');

  // failover: s1's camera moves to the redundant server s3, which records it to its own disk.
  const failover = await vigil(['failover', 's1']);
  ok(failover, 'failover s1');
  assert.match(failover.stdout, /^manual #\d+ \w+: c1→s3\n$/);
  await settled('c1', 's3');
  await farm.waitFor(async () => ownSegments('s3', 'c1').length >= 2, 20_000, "c1's segments on s3's disk");
  // s1 still runs: it comes back holding nothing (onReturn failback: its camera comes home on request).
  await farm.waitFor(async () => (await server('s1')).state === 'up', 30_000, 's1 up again');
  assert.match((await vigil(['status'])).stdout, /^c1\s+s1\s+s3\s+recording$/m);

  // failback: c1 home, and what s3 recorded meanwhile copied to s1's disk, then released on s3.
  const failback = await vigil(['failback', 's1']);
  ok(failback, 'failback s1');
  assert.match(failback.stdout, /^failback #\d+ \w+: c1→s1\n$/);
  await settled('c1', 's1');
  const fbId = Number(/#(\d+)/.exec(failback.stdout)![1]);
  await farm.waitFor(
    async () =>
      (await failovers()).find((f) => f.id === fbId)?.detail.copyBack?.every((j) => j.state === 'done') === true,
    60_000,
    'copy-back of the failback done',
  );
  assert.deepEqual(ownSegments('s3', 'c1'), [], "s3's copy of c1 released from its disk");
  assert.ok(
    segmentFiles(storage('s1', 'c1')).some((f) => f.endsWith('_s3+s1.ts')),
    "s3's recording of c1 is on s1's disk",
  );

  // drain: c1 to s3 make-before-break, s1 in maintenance; resume brings it home.
  const drain = await vigil(['drain', 's1']);
  ok(drain, 'drain s1');
  assert.match(drain.stdout, /^drain #\d+ \w+: c1→s3\n$/);
  await settled('c1', 's3');
  assert.equal((await server('s1')).maintenance, true);
  const resume = await vigil(['resume', 's1']);
  ok(resume, 'resume s1');
  assert.match(resume.stdout, /^resume #\d+ \w+: c1→s1\n$/);
  await settled('c1', 's1');
  assert.equal((await server('s1')).maintenance, false);

  // move: c1 to s2, whose disk then holds c1's new footage.
  const movedAt = Date.now();
  const move = await vigil(['move', 'c1', 's2']);
  ok(move, 'move c1 s2');
  assert.match(move.stdout, /^move #\d+ \w+: c1→s2\n$/);
  await settled('c1', 's2');
  await farm.waitFor(
    async () =>
      ownSegments('s2', 'c1').filter((f) => Number(/(\d+)_s2\.ts$/.exec(f)![1]) >= movedAt - 2000).length >= 2,
    20_000,
    "c1's new segments on s2's disk",
  );

  // Bad input: unknown servers and cameras, a move across to nowhere, a verb with nothing to do.
  const log = await failovers();
  for (const [args, message] of [
    [['failover', 'nosuch'], /^no server nosuch$/m],
    [['drain', 'nosuch'], /^no server nosuch$/m],
    [['failback', 'nosuch'], /^no server nosuch$/m],
    [['move', 'c1', 'nosuch'], /move refused: no server nosuch/],
    [['move', 'nocam', 's3'], /move refused: no camera nocam/],
    [['resume', 's2'], /server s2 is not in maintenance/],
    [['failover', 's3'], /server s3 holds no cameras/],
  ] as [string[], RegExp][]) {
    const r = await vigil([...args]);
    refused(r, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  // (The entries themselves go on changing: the last copy-backs run.)
  const entries = (l: Failover[]) => l.map((f) => [f.id, f.server, f.trigger]);
  assert.deepEqual(entries(await failovers()), entries(log), 'bad input logs no failover');
  assert.equal((await camera('c1')).currentServer, 's2', 'and moves nothing');
  const unreachable = await vigil(['status', '--master', 'http://127.0.0.1:1']);
  refused(unreachable, 'status against no master');
  assert.match(unreachable.stderr, /^vigil: /);
  const closed = await vigil(['status', '--master', 'https://127.0.0.1:28199']);
  refused(closed, 'status against a closed port');
  assert.match(
    closed.stderr,
    /^vigil: cannot reach the master at https:\/\/127\.0\.0\.1:28199: connection refused \(is `vigil master` running there/m,
  );

  // The last status lists the verbs' work.
  const last = await vigil(['status']);
  ok(last, 'status at the end');
  for (const line of [/ s1 manual done/, / s1 failback done/, / s1 drain done/, / s1 resume done/, / s1 move done/])
    assert.match(last.stdout, line);

  // Enrollment through the CLI: a token for a configured server only; the command it prints enrolls
  // s3 again (a new certificate), and the certificate s3 had before is refused from then on.
  refused(await vigil(['server', 'enroll', 's9']), 'enroll of a server not in the configuration');
  const enroll = await vigil(['server', 'enroll', 's3']);
  ok(enroll, 'server enroll');
  const line = /^\s+vigil (node --id s3 --master \S+ --join vj1_\S+)$/m.exec(enroll.stdout);
  assert.ok(line, `it prints the node's command line: ${enroll.stdout}`);
  const s3Dir = join(dir, 'nodes', 's3');
  const old = loadIdentity(s3Dir)!;
  await farm.kill('s3');
  const restartAt = Date.now();
  // A node's credential is its identity: it gets no farm key.
  const nodeEnv = { ...process.env };
  delete nodeEnv.VIGIL_FARM_KEY;
  const node = spawn(process.execPath, [VIGIL_BIN, ...line[1].split(' '), '--data', s3Dir], {
    env: nodeEnv,
    stdio: 'ignore',
  });
  const nodeExit = new Promise<void>((r) => node.once('exit', () => r()));
  t.after(async () => {
    if (node.exitCode === null && node.signalCode === null) node.kill('SIGKILL');
    await nodeExit;
  });
  await farm.waitFor(
    async () =>
      loadIdentity(s3Dir)?.cert !== old.cert &&
      ((await farm.api<(Server & { lastStatusAt: number | null })[]>('/api/v1/servers')).find((s) => s.id === 's3')
        ?.lastStatusAt ?? 0) > restartAt,
    30_000,
    's3 enrolled again and reporting',
  );
  const oldCert = tlsFetch(farmClientTls(old, 'master'));
  const stale = await oldCert.fetch(`${farm.masterUrl}/api/v1/nodes/s3/assignment?after=-1`);
  assert.equal(stale.status, 401, 'the certificate s3 had before is refused');
  await oldCert.close();
  node.kill('SIGTERM');
  await nodeExit;
  // A node that never enrolled and has no token says what to run.
  const lost = await runVigil(['node', '--id', 's3', '--data', join(dir, 'nowhere'), '--master', farm.masterUrl], {
    VIGIL_FARM_KEY: undefined,
  });
  refused(lost, 'a node without an identity');
  assert.match(lost.stderr, /server s3 has not enrolled .*`vigil server enroll s3`.*--join <token>/);

  // No verb printed a credential: not the cameras' password, the farm key, the API token once derived
  // from it, the admin's password, token or session secret.
  const saved = JSON.parse(readFileSync(join(dir, 'config', 'vigil', 'credentials.json'), 'utf8')) as {
    secret: string;
    ca?: string;
  };
  assert.equal(saved.ca, farm.caFile, 'the login keeps the farm CA it trusted');
  const derived = legacyFarmToken(FARM_KEY);
  for (const r of runs)
    for (const secret of [PASSWORD, FARM_KEY, derived, farm.admin.password, farm.admin.token, saved.secret]) {
      assert.ok(!r.stdout.includes(secret), `stdout free of secrets: ${r.stdout}`);
      assert.ok(!r.stderr.includes(secret), `stderr free of secrets: ${r.stderr}`);
    }
});
