import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { bufferPrefix, SHM } from '../src/node/buffer-root.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { descendants } from './support/process-tree.ts';

// Loopback ports of H4's range.
const MASTER_PORT = 19410;
const RTSP_PORT = 19411;
const UDP_BASE = 19412;
const PASSWORD = 'h4-Secr3t-pw';
const me = process.getuid?.();

const config = (): FarmConfigInput => ({
  settings: { FarmHealthStartDelayMs: 60_000, StatusIntervalMs: 250 },
  groups: [{ id: 1, policy: 'hot' }],
  servers: [
    { id: 'h4a', group: 1, host: '127.0.0.1', udpPort: UDP_BASE },
    { id: 'h4b', group: 1, host: '127.0.0.1', udpPort: UDP_BASE + 1, hotStandbyFor: 'h4a' },
  ],
  cameras: [{ id: 'c1', url: `rtsp://admin:${PASSWORD}@127.0.0.1:${RTSP_PORT}/c1`, server: 'h4a' }],
});

/** Every file and folder under `root`, itself included. */
/** Every path under root; what goes meanwhile (a staged segment moved to storage, the buffer pruned) is left out. */
function walk(root: string): string[] {
  const st = lstatSync(root, { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isDirectory()) return [root];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [root];
  }
  return [root, ...names.flatMap((name) => walk(join(root, name)))];
}

const mode = (p: string) => lstatSync(p).mode & 0o777;

test('files and folders of a real master and nodes are private; the buffer folder cannot be planted; no password on disk or in a command line', {
  timeout: 180_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'hardening', MASTER_PORT);
  const { dir } = fut;

  // What another local user prepares before the hot standby starts: the buffer path older versions
  // used, open to all, with links named like segments into a file of the victim's (here: the test's).
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'precious');
  const old = join(SHM, 'vigil-h4b-buffer');
  rmSync(old, { recursive: true, force: true });
  mkdirSync(join(old, 'c1'), { recursive: true });
  chmodSync(old, 0o777);
  chmodSync(join(old, 'c1'), 0o777);
  const now = Math.floor(Date.now() / 1000);
  for (let s = 0; s < 30; s++)
    for (let n = 0; n < 3; n++) symlinkSync(victim, join(old, 'c1', `${now + s}_x-${n}-00000${n}.ts`));
  const plantedBefore = readdirSync(join(old, 'c1')).sort();
  // A data dir of an older version (0755), and a link planted where leftovers of this node's buffers are cleaned.
  const hbData = join(dir, 'nodes', 'h4b');
  mkdirSync(hbData, { recursive: true, mode: 0o755 });
  chmodSync(hbData, 0o755);
  const victimDir = join(dir, 'victim-dir');
  mkdirSync(victimDir);
  writeFileSync(join(victimDir, 'keep'), 'keep');
  const prefix = bufferPrefix('h4b', hbData);
  const planted = join(SHM, `${prefix}planted`);
  symlinkSync(victimDir, planted);
  t.after(() => {
    rmSync(old, { recursive: true, force: true });
    rmSync(planted, { force: true });
  });

  await fut.farm.startSim(RTSP_PORT, ['c1']);
  await fut.start(config());
  await fut.settled({ c1: 'h4a' }, 60_000);
  const buffered = () =>
    readdirSync(SHM)
      .filter((n) => n.startsWith(prefix) && n !== `${prefix}planted`)
      .map((n) => join(SHM, n));
  await fut.farm.waitFor(
    () => buffered().some((b) => existsSync(join(b, 'c1')) && readdirSync(join(b, 'c1')).length >= 2),
    60_000,
    'the hot standby buffering c1 in its own folder',
  );
  await fut.farm.waitFor(
    () => existsSync(fut.storageOf('h4a')) && walk(fut.storageOf('h4a')).filter((f) => f.endsWith('.ts')).length >= 2,
    30_000,
    'segments of c1 stored on h4a',
  );

  // The planted path and links were not used: nothing written through them, nothing added, the victim whole.
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.deepEqual(readdirSync(join(old, 'c1')).sort(), plantedBefore);
  assert.ok(lstatSync(planted).isSymbolicLink(), 'the planted link was left alone');
  assert.deepEqual(readdirSync(victimDir), ['keep']);
  const [buffer] = buffered();
  assert.match(buffer, new RegExp(`^${SHM}/${prefix}[A-Za-z0-9]{6}$`));
  const st = lstatSync(buffer);
  assert.ok(st.isDirectory() && !st.isSymbolicLink());
  assert.equal(st.uid, me);
  for (const p of walk(buffer)) {
    const s = lstatSync(p, { throwIfNoEntry: false });
    if (s) assert.equal(s.mode & 0o777, s.isDirectory() ? 0o700 : 0o600, p);
  }

  // Modes: every folder 0700, every file 0600, in the master's and the nodes' data and the farm's logs;
  // but the master's certificates, public (the farm CA is served to anyone at GET /api/v1/ca.pem): 0644.
  const publicCerts = new Set(['master/pki/ca.pem', 'master/pki/master.pem']);
  const checked = [join(dir, 'master'), join(dir, 'nodes', 'h4a'), hbData].flatMap(walk);
  const names = checked.map((p) => p.slice(dir.length + 1));
  for (const want of [
    'master/farm.sqlite',
    'master/pki/ca.key',
    'master/pki/ca.pem',
    'master/pki/master.key',
    'nodes/h4a/identity/key.pem',
    'nodes/h4a/identity/cert.pem',
    'nodes/h4a/index.sqlite',
    'nodes/h4a/assignment.json',
    'nodes/h4a/staging/c1',
    'nodes/h4b/assignment.json',
  ])
    assert.ok(names.includes(want), `${want} missing from ${names.join(' ')}`);
  assert.ok(
    names.some((n) => /^nodes\/h4a\/storage\/c1\/\d{4}-\d\d-\d\d\/\d\d\/\d+_h4a\.ts$/.test(n)),
    'a segment',
  );
  for (const p of checked) {
    const s = lstatSync(p, { throwIfNoEntry: false });
    if (!s || s.isSymbolicLink()) continue;
    const name = p.slice(dir.length + 1);
    assert.equal(
      s.mode & 0o777,
      s.isDirectory() ? 0o700 : publicCerts.has(name) ? 0o644 : 0o600,
      `${name} has mode ${(s.mode & 0o777).toString(8)}`,
    );
  }
  for (const log of ['master', 'h4a', 'h4b', 'sim']) assert.equal(mode(fut.logOf(log)), 0o600, log);
  assert.equal(mode(join(dir, 'farm.yaml')), 0o600);

  // The password: not in the store's bytes, not in a log, not on a command line of the farm.
  const store = readdirSync(join(dir, 'master'))
    .filter((n) => n.startsWith('farm.sqlite'))
    .map((n) => readFileSync(join(dir, 'master', n)).toString('latin1'))
    .join('');
  assert.ok(store.length > 0 && !store.includes(PASSWORD), 'the password is in farm.sqlite');
  for (const log of ['master', 'h4a', 'h4b']) assert.ok(!readFileSync(fut.logOf(log), 'utf8').includes(PASSWORD), log);
  const pids = fut.farm.pids();
  const ffmpegs = [pids.h4a, pids.h4b].flatMap((pid) => descendants(pid!)).filter((p) => p.command === 'ffmpeg');
  assert.ok(ffmpegs.length >= 2, 'the ffmpeg of each node');
  for (const p of ffmpegs) {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    assert.ok(!cmdline.includes(PASSWORD), `password on ffmpeg's command line: ${cmdline}`);
    assert.match(cmdline, / -i rtsp:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{24} /);
  }

  // The buffer folder goes with its node.
  await fut.farm.kill('h4b', 'SIGTERM');
  assert.ok(!existsSync(buffer), 'the buffer folder outlived its node');
});
