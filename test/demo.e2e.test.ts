import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { VIGIL_BIN, runVigil, segmentFiles } from './support/run-vigil.ts';
import { descendants, stillRunning, type ProcInfo } from './support/process-tree.ts';
import { tlsFetch, type TlsFetch } from '../src/lib/http/tls.ts';
import type { RequestInit } from 'undici';
import pg from 'pg';
import { DEMO_POSTGRES } from '../src/cli/demo.ts';

// `vigil demo` as the README tells a new user to run it, on ports away from the defaults and the
// other end-to-end tests (its own --port, --rtsp-port and --udp-port; --dir for the data).
const PORT = 19380;
const RTSP_PORT = 19454;
const UDP_BASE = 19445;
// `vigil demo --ha`: its two masters on HA_PORT and HA_PORT + 1.
const HA_PORT = 19470;
const HA_RTSP_PORT = 19474;
const HA_UDP_BASE = 19475;

interface Camera {
  id: string;
  homeServer: string;
  currentServer: string;
  recording: string;
}
interface Server {
  id: string;
  group: number;
  role: string;
  state: string;
  cameras: string[];
}
interface Failover {
  server: string;
  trigger: string;
  status: string;
  detail: { reporters: string[]; moves: { camera: string; to: string }[]; unrecorded: string[]; reason?: string };
}

/** Polls until fn is true; throws with `what` after timeoutMs. */
async function waitFor(fn: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(200);
  }
}

const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

/** A `vigil demo` running: its process, everything it printed, and every process it ever started. */
interface DemoRun {
  proc: ChildProcess;
  out: string;
  /** Every process the demo ever started, as seen at each look (a killed server's children too). */
  seen: Map<number, ProcInfo>;
  look: () => void;
  exit: Promise<void>;
}

/** Starts `vigil demo` with these flags in its own process group, as in a terminal: Ctrl-C reaches the demo and everything it started. */
function startDemo(args: string[]): DemoRun {
  const proc = spawn(process.execPath, [VIGIL_BIN, 'demo', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: DemoRun = {
    proc,
    out: '',
    seen: new Map(),
    look: () => {
      for (const p of descendants(proc.pid!)) run.seen.set(p.pid, p);
    },
    exit: new Promise<void>((r) => proc.once('exit', () => r())),
  };
  for (const stream of [proc.stdout!, proc.stderr!])
    stream.setEncoding('utf8').on('data', (d: string) => {
      run.out += d;
    });
  return run;
}

/** Whatever failed: the demo's process group and every process it started, killed. */
function killDemo(run: DemoRun): void {
  run.look();
  if (!exited(run.proc)) {
    try {
      process.kill(-run.proc.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  for (const p of run.seen.values()) if (stillRunning(p)) process.kill(p.pid, 'SIGKILL');
}

/** Waits for the banner (printed once every camera records); a demo that exits first fails with what it printed. */
async function bannerOf(run: DemoRun): Promise<void> {
  await waitFor(() => exited(run.proc) || run.out.includes('Ctrl-C stops everything.'), 120_000, "the demo's banner");
  if (exited(run.proc)) throw new Error(`the demo exited (${run.proc.exitCode ?? run.proc.signalCode}):\n${run.out}`);
  run.look();
}

/** Ctrl-C: SIGINT to the demo's process group, as a terminal sends it. The demo exits 0 and every process goes. */
async function ctrlC(run: DemoRun): Promise<void> {
  run.look();
  process.kill(-run.proc.pid!, 'SIGINT');
  await Promise.race([
    run.exit,
    delay(30_000, undefined, { ref: false }).then(() => {
      throw new Error(`the demo still runs 30 s after Ctrl-C:\n${run.out}`);
    }),
  ]);
  assert.equal(run.proc.exitCode, 0, `the demo exits 0 after Ctrl-C:\n${run.out}`);
  assert.match(run.out, /stopping the demo farm/);
  await waitFor(() => ![...run.seen.values()].some(stillRunning), 10_000, 'every process of the demo gone').catch(
    () => {
      const left = [...run.seen.values()].filter(stillRunning).map((p) => `${p.pid} ${p.command}`);
      throw new Error(`processes of the demo still running after Ctrl-C: ${left.join(', ')}`);
    },
  );
}

test('vigil demo: the Symphony example farm records, kill -9 of s1 moves c1 and c2 to s3, s7 waits, s1 returns redundant, Ctrl-C stops every process', {
  timeout: 300_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-demo-'));
  const api = `https://127.0.0.1:${PORT}`;
  const caFile = join(dir, 'master', 'pki', 'ca.pem');
  let http: TlsFetch | undefined;
  const run = startDemo([
    '--dir',
    dir,
    '--port',
    String(PORT),
    '--rtsp-port',
    String(RTSP_PORT),
    '--udp-port',
    String(UDP_BASE),
  ]);
  let restarted: ChildProcess | undefined;
  t.after(async () => {
    // Whatever failed, nothing of this test survives it.
    if (restarted && !exited(restarted)) restarted.kill('SIGKILL');
    killDemo(run);
    await http?.destroy();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  let auth: Record<string, string> = {};
  // Over TLS, trusting the farm CA the demo's master made (the banner names it).
  const tls = (path: string, init: RequestInit = {}) => {
    http ??= tlsFetch({ ca: readFileSync(caFile, 'utf8') });
    return http.fetch(api + path, init);
  };
  const get = async <T>(path: string): Promise<T> => {
    const res = await tls(path, { headers: auth, signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  const cameras = () => get<Camera[]>('/api/v1/cameras');
  const servers = () => get<Server[]>('/api/v1/servers');
  const failovers = () => get<Failover[]>('/api/v1/failovers');

  // The banner: printed once every camera records.
  await bannerOf(run);
  const bannerAt = Date.now();
  assert.match(run.out, /Vigil demo farm is recording\./);
  assert.ok(run.out.includes(`API:        ${api}/api/v1/servers`), `the banner names the API: ${run.out}`);
  assert.ok(run.out.includes(dir), 'the banner names the data dir');
  assert.ok(run.out.includes(`farm CA:    ${caFile}`), `the banner names the farm CA: ${run.out}`);
  const pids = [...run.out.matchAll(/kill -9 (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2, `the banner prints the pids of s1 and s7: ${run.out}`);
  const [s1Pid, s7Pid] = pids;
  for (const pid of pids) assert.ok(run.seen.has(pid), `pid ${pid} is a process of the demo`);
  const relaunch = /npx vigil (node --id s1 .*)$/m.exec(run.out);
  assert.ok(relaunch, `the banner says how to start s1 again: ${run.out}`);
  assert.doesNotMatch(run.out, /VIGIL_FARM_KEY|--join/, 'an enrolled node needs neither the farm key nor a join token');
  // The banner says how to log in, with the admin password the demo made; nothing answers without.
  const login = /npx vigil (login --master (\S+) --ca (\S+) --user (\S+))\s+\(password: (\S+)\)$/m.exec(run.out);
  assert.ok(login, `the banner says how to log in: ${run.out}`);
  assert.equal(login[2], api);
  assert.equal(login[3], caFile, 'the login trusts the farm CA');
  assert.equal((await tls('/api/v1/cameras')).status, 401, 'no footage nor farm without a login');
  // The console first: its address and the login, which the console itself takes.
  const consoleLine = /^ {2}CONSOLE: {4}(\S+)\/ {6}log in as (\S+), password (\S+)$/m.exec(run.out);
  assert.ok(consoleLine, `the banner names the console and its login: ${run.out}`);
  assert.deepEqual([consoleLine[1], consoleLine[2], consoleLine[3]], [api, login[4], login[5]]);
  const page = await tls('/');
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="app">/, 'the console is served at its address');
  const config = { XDG_CONFIG_HOME: join(dir, 'cli-config') };
  const cliLogin = await runVigil(login[1].split(' '), config, 60_000, `${login[5]}\n`);
  assert.equal(cliLogin.code, 0, cliLogin.stderr);
  const session = await tls('/api/v1/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: login[4], password: login[5], token: true }),
  });
  auth = { authorization: `Bearer ${((await session.json()) as { secret: string }).secret}` };

  // The Symphony example farm: group 1 (s1, s2 active, s3 redundant), group 7 (s7 alone).
  const farm = await servers();
  assert.deepEqual(
    farm.map((s) => [s.id, s.group, s.role, s.state, s.cameras]),
    [
      ['s1', 1, 'active', 'up', ['c1', 'c2']],
      ['s2', 1, 'active', 'up', ['c3', 'c4']],
      ['s3', 1, 'redundant', 'up', []],
      ['s7', 7, 'active', 'up', ['c7a', 'c7b']],
    ],
    `as configured, no failover yet: ${JSON.stringify(await failovers())}`,
  );
  const home: Record<string, string> = { c1: 's1', c2: 's1', c3: 's2', c4: 's2', c7a: 's7', c7b: 's7' };
  assert.deepEqual(
    (await cameras()).map((c) => [c.id, c.homeServer, c.currentServer, c.recording]),
    Object.entries(home).map(([id, s]) => [id, s, s, 'recording']),
  );
  // Footage on disk, where each camera's server keeps it, and it plays: H.264 in MPEG-TS.
  const storage = (s: string, cam: string) => join(dir, 'nodes', s, 'storage', cam);
  await waitFor(
    () => Object.entries(home).every(([cam, s]) => segmentFiles(storage(s, cam)).length >= 2),
    20_000,
    'two segments of every camera on its server',
  );
  const [first] = segmentFiles(storage('s1', 'c1'));
  assert.match(first, /^\d{4}-\d{2}-\d{2}\/\d{2}\/\d+_s1\.ts$/);
  const probe = execFileSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', join(storage('s1', 'c1'), first)],
    { encoding: 'utf8', timeout: 10_000 },
  );
  assert.match(probe, /h264/);

  // kill -9 <pid of s1>: c1 and c2 move to s3 (README: s2 and s3 report it, the master confirms it).
  // Buddies judge only FarmHealthStartDelayMs after their start, which was before the banner; a kill
  // before that is the master's to notice (status lost) instead.
  const { settings } = await get<{ settings: { FarmHealthStartDelayMs: number } }>('/api/v1/config');
  await waitFor(() => Date.now() > bannerAt + settings.FarmHealthStartDelayMs + 1000, 120_000, 'the start delay over');
  run.look();
  const killedAt = Date.now();
  process.kill(s1Pid, 'SIGKILL');
  await waitFor(
    async () =>
      (await cameras())
        .filter((c) => c.id === 'c1' || c.id === 'c2')
        .every((c) => c.currentServer === 's3' && c.recording === 'recording'),
    30_000,
    'c1 and c2 recording on s3',
  );
  const movedMs = Date.now() - killedAt;
  const [fo] = await failovers();
  assert.equal(fo.server, 's1');
  assert.equal(fo.trigger, 'buddy-quorum');
  assert.deepEqual([...fo.detail.reporters].sort(), ['s2', 's3']);
  assert.deepEqual(
    fo.detail.moves.map((m) => [m.camera, m.to]),
    [
      ['c1', 's3'],
      ['c2', 's3'],
    ],
  );
  await waitFor(() => segmentFiles(storage('s3', 'c1')).some((f) => f.endsWith('_s3.ts')), 20_000, 'c1 on s3 disk');
  // The demo's terminal tells it as it happens: s1 down, the failover opened and each of its steps.
  await waitFor(
    () => /failover #\d+ buddy-quorum of s1: recording \+\d+ ms c[12]/.test(run.out),
    20_000,
    "the failover's steps in the demo's terminal",
  );
  assert.match(run.out, /server s1 (up|suspect) → down/);
  assert.match(run.out, /failover #\d+ buddy-quorum of s1 opened, reported by s[23], s[23]/);
  // `npx vigil status` (the banner's line, after its login: the saved master and farm CA) shows it.
  const status = await runVigil(['status'], config);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^c1\s+s1\s+s3\s+recording$/m);
  assert.match(status.stdout, /^c2\s+s1\s+s3\s+recording$/m);
  console.log(`# c1 and c2 recording on s3 ${movedMs} ms after kill -9 of s1`);

  // kill -9 <pid of s7>: group 7 has nobody to fail over to; the failover waits, its cameras are unrecorded.
  run.look();
  process.kill(s7Pid, 'SIGKILL');
  await waitFor(async () => (await failovers()).some((f) => f.server === 's7'), 30_000, 'a failover entry for s7');
  const f7 = (await failovers()).find((f) => f.server === 's7')!;
  assert.equal(f7.trigger, 'status-lost');
  assert.equal(f7.status, 'waiting');
  assert.match(f7.detail.reason ?? '', /no redundant server/);
  assert.deepEqual(f7.detail.moves, []);
  assert.deepEqual([...f7.detail.unrecorded].sort(), ['c7a', 'c7b']);
  await waitFor(
    async () => (await cameras()).filter((c) => c.homeServer === 's7').every((c) => c.recording === 'unrecorded'),
    20_000,
    'c7a and c7b unrecorded',
  );

  // The banner's command brings s1 back: it holds no cameras, as the redundant server.
  const [, command] = relaunch!;
  const nodeEnv = { ...process.env };
  delete nodeEnv.VIGIL_FARM_KEY;
  restarted = spawn(process.execPath, [VIGIL_BIN, ...command.trim().split(/\s+/)], { env: nodeEnv, stdio: 'ignore' });
  await waitFor(
    async () => {
      const s1 = (await servers()).find((s) => s.id === 's1')!;
      return s1.state === 'up' && s1.role === 'redundant' && s1.cameras.length === 0;
    },
    30_000,
    's1 back as the redundant server',
  );
  const restartedExit = new Promise<void>((r) => restarted!.once('exit', () => r()));
  restarted.kill('SIGTERM');
  await restartedExit;

  // Ctrl-C: SIGINT to the demo's process group, as a terminal sends it. Every process goes.
  run.look();
  assert.ok(run.seen.size >= 7, `the demo's processes: sim, master, 4 servers and their ffmpegs (${run.seen.size})`);
  await ctrlC(run);
});

/** Whether a PostgreSQL server answers at `url` (the --ha case needs one; without, it is skipped). */
async function postgresAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

test('vigil demo --ha: two masters on a PostgreSQL database of its own, one leads, the other forwards to it; Ctrl-C drops the database', {
  timeout: 180_000,
}, async (t) => {
  const server = process.env.VIGIL_DB ?? DEMO_POSTGRES;
  // The suite needs PostgreSQL (.ci/run starts it): a missing server fails here, it is not skipped.
  assert.ok(await postgresAnswers(server), `no PostgreSQL server at ${server} (VIGIL_DB names another)`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-demo-ha-'));
  const caFile = join(dir, 'master', 'pki', 'ca.pem');
  const urls = [HA_PORT, HA_PORT + 1].map((p) => `https://127.0.0.1:${p}`);
  const run = startDemo([
    '--ha',
    '--postgres',
    server,
    '--dir',
    dir,
    '--port',
    String(HA_PORT),
    '--rtsp-port',
    String(HA_RTSP_PORT),
    '--udp-port',
    String(HA_UDP_BASE),
  ]);
  let http: TlsFetch | undefined;
  t.after(async () => {
    killDemo(run);
    await http?.destroy();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const startedAt = Date.now();
  await bannerOf(run);
  const bannerMs = Date.now() - startedAt;

  // The banner names both masters and which leads (the first: it started first), and the database.
  const listed = [...run.out.matchAll(/^\s+(?:MASTERS:\s+)?(m[12]) (https:\/\/\S+) {2}\((leads|standby[^)]*)\)$/gm)];
  assert.deepEqual(
    listed.map((m) => [m[1], m[2], m[3]]),
    [
      ['m1', urls[0], 'leads'],
      ['m2', urls[1], 'standby: forwards to the leader'],
    ],
    run.out,
  );
  const db = /the PostgreSQL database\s+(vigil_\w+) on /.exec(run.out)?.[1];
  assert.ok(db, `the banner names the demo's database: ${run.out}`);
  const leaderPid = /fail over: kill the leader, m1, the hard way,\s+kill -9 (\d+)/.exec(run.out)?.[1];
  assert.ok(leaderPid && run.seen.has(Number(leaderPid)), `the banner names the leader's pid: ${run.out}`);

  // Both masters answer GET /api/v1/master, each for itself: one leads, the other names it.
  http = tlsFetch({ ca: readFileSync(caFile, 'utf8') });
  const { password } = /log in as admin, password (?<password>\S+)/.exec(run.out)!.groups!;
  const login = await http.fetch(`${urls[1]}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password, token: true }),
  });
  assert.equal(login.status, 200, 'a login through the standby (forwarded to the leader)');
  const token = ((await login.json()) as { secret: string }).secret;
  const auth = { authorization: `Bearer ${token}` };
  const infos = await Promise.all(
    urls.map(async (u) => {
      const res = await http!.fetch(`${u}/api/v1/master`, { headers: auth });
      assert.equal(res.status, 200);
      return (await res.json()) as {
        id: string;
        leader: boolean;
        term: number;
        leaderId?: string;
        store: string;
        masters: { id: string }[];
      };
    }),
  );
  assert.deepEqual(
    infos.map((i) => [i.id, i.leader, i.leaderId, i.store]),
    [
      ['m1', true, 'm1', 'postgresql'],
      ['m2', false, 'm1', 'postgresql'],
    ],
  );
  assert.equal(infos[1].term, infos[0].term, "the standby knows the leader's term");
  for (const i of infos) assert.deepEqual(i.masters.map((m) => m.id).sort(), ['m1', 'm2']);
  const servers = await http.fetch(`${urls[1]}/api/v1/servers`, { headers: auth });
  assert.equal(servers.status, 200);
  assert.equal(((await servers.json()) as unknown[]).length, 4, "the standby forwards people's API to the leader");

  // `vigil status` at the standby says so: which master answers, which leads, and each master.
  const status = await runVigil(['status', '--master', urls[1], '--ca', caFile, '--token', token], {
    XDG_CONFIG_HOME: join(dir, 'cli-config'),
  });
  assert.equal(status.code, 0, status.stderr);
  assert.match(
    status.stdout,
    new RegExp(`^MASTER {2}m2 standby — leader m1 ${urls[0]}, term ${infos[0].term} \\(postgresql store`, 'm'),
  );
  assert.match(status.stdout, new RegExp(`^ {2}m1 +${urls[0]} +leader +seen \\d+s ago`, 'm'));
  assert.match(status.stdout, new RegExp(`^ {2}m2 +${urls[1]} +standby +seen \\d+s ago .*\\(answering\\)$`, 'm'));
  for (const l of status.stdout.split('\n').filter((l) => /^(MASTER| {2}m\d)/.test(l))) console.log(`# ${l}`);
  console.log(`# vigil demo --ha: banner ${bannerMs} ms after its start`);

  // The banner's kill of the leader: m2 takes the lease once m1's lapses, and the demo's terminal says so.
  const killedAt = Date.now();
  process.kill(Number(leaderPid), 'SIGKILL');
  await waitFor(() => /master m2 leads now \(term \d+\)$/m.test(run.out), 30_000, "m2's lead in the demo's terminal");
  const after = (await (await http.fetch(`${urls[1]}/api/v1/master`, { headers: auth })).json()) as {
    leader: boolean;
    term: number;
  };
  assert.equal(after.leader, true);
  assert.ok(after.term > infos[0].term, `a new term: ${after.term}`);
  console.log(`# vigil demo --ha: m2 leads ${Date.now() - killedAt} ms after kill -9 of m1`);
  // A client given both masters passes over the dead one.
  const both = await runVigil(['status', '--master', urls.join(','), '--ca', caFile, '--token', token], {
    XDG_CONFIG_HOME: join(dir, 'cli-config'),
  });
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, new RegExp(`^MASTER {2}m2 leading \\(term ${after.term}, `, 'm'));

  await ctrlC(run);
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  try {
    const left = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    assert.equal(left.rowCount, 0, `the demo's database ${db} is dropped at Ctrl-C`);
  } finally {
    await c.end();
  }
});
