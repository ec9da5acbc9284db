import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { JITTER_MS } from '../src/lib/continuity.ts';
import { diskSegments, footageHoles } from './support/disk-footage.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';

// Fixed loopback ports of the 21xxx family (the other end-to-end tests use 18xxx-19xxx, the benches 28xxx).
const MOVE = { master: 21680, rtsp: 21754, udp: 21245 };
const LOCK = { master: 21681, rtsp: 21755, udp: 21247 };
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: 2000,
  FarmHealthStartDelayMs: 8000,
  StatusIntervalMs: 250,
};
const VIGIL = fileURLToPath(new URL('../bin/vigil.js', import.meta.url));

/** Runs the `vigil` CLI as its own process with an API token, trusting the farm CA; resolves with its exit code and output. */
function vigil(
  args: string[],
  token: string,
  caFile: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VIGIL, ...args], {
      env: { ...process.env, VIGIL_TOKEN: token, VIGIL_CA: caFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('vigil move <camera> <server>: the CLI moves the camera make-before-break, and the files on both disks have no gap', {
  timeout: 120_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'climove', MOVE.master);
  await fut.farm.startSim(MOVE.rtsp, ['c1']);
  await fut.start({
    settings,
    groups: [{ id: 1 }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: MOVE.udp + i })),
    cameras: [{ id: 'c1', url: `rtsp://127.0.0.1:${MOVE.rtsp}/c1`, server: 's1' }],
  });
  await fut.settled({ c1: 's1' }, 60_000);
  const since = Date.now();
  await delay(3000);

  const cli = await vigil(['move', 'c1', 's2', '--master', fut.farm.masterUrl], fut.farm.admin.token, fut.farm.caFile);
  assert.equal(cli.code, 0, `vigil move exits 0: ${cli.stderr}`);
  assert.match(cli.stdout.trim(), /^move #\d+ running: c1→s2$/, 'it prints the failover log entry it made');
  const id = Number(/#(\d+)/.exec(cli.stdout)![1]);
  await fut.settled({ c1: 's2' });
  const entry = (await fut.failovers()).find((f) => f.id === id)!;
  assert.deepEqual(
    [entry.trigger, entry.status, entry.detail.planned, entry.detail.moves.map((m) => `${m.camera}:${m.from}→${m.to}`)],
    ['move', 'done', true, ['c1:s1→s2']],
  );
  const handedOverAt = entry.detail.moves[0].recordingAt!;
  await delay(4000); // s2's latest segments stored, and s1 long stopped
  const until = Date.now() - 1500;

  const onS1 = diskSegments(fut.storageOf('s1'), 'c1');
  const onS2 = diskSegments(fut.storageOf('s2'), 'c1');
  assert.ok(onS1.length > 0 && onS2.length > 0, 'both servers recorded c1');
  assert.ok(
    Math.max(...onS1.map((s) => s.endMs)) >= onS2[0].startMs - JITTER_MS,
    's1 recorded until s2 had begun (make-before-break)',
  );
  assert.ok(
    onS1.every((s) => s.startMs < handedOverAt + 3000),
    's1 stopped once s2 delivered (nothing of s1 starts 3 s after the handover)',
  );
  assert.deepEqual(footageHoles([...onS1, ...onS2], since, until), [], 'no hole in the files across the move');
  assert.deepEqual((await fut.timeline('c1', since, until)).gaps, [], "nor in the master's timeline");
  assert.equal((await fut.failovers()).length, 1, 'nothing else happened');

  // `vigil audit` shows the move: when, who, from where, the route, its target, its body, the answer.
  const audit = await vigil(
    ['audit', '--since', '10m', '--master', fut.farm.masterUrl],
    fut.farm.admin.token,
    fut.farm.caFile,
  );
  assert.equal(audit.code, 0, `vigil audit exits 0: ${audit.stderr}`);
  assert.match(
    audit.stdout,
    /^#\d+ \S+Z \S+ 127\.0\.0\.1 POST \/api\/v1\/cameras\/:id\/move c1 → 200 \{"params":\{"id":"c1"\},"body":\{"to":"s2"\}\}$/m,
  );
  const one = await vigil(
    ['audit', '--limit', '1', '--master', fut.farm.masterUrl],
    fut.farm.admin.token,
    fut.farm.caFile,
  );
  assert.equal(one.stdout.trim().split('\n').length, 1, `one entry: ${one.stdout}`);
});

test("the configuration lock: a moved camera's url, streams and storage cannot be edited while it runs elsewhere (409, nothing applied); after failback the same edit is accepted", {
  timeout: 120_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'configlock', LOCK.master);
  const url = (path: string) => `rtsp://127.0.0.1:${LOCK.rtsp}/${path}`;
  const config: FarmConfigInput = {
    settings,
    groups: [{ id: 1, onReturn: 'failback' }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: LOCK.udp + i })),
    cameras: [{ id: 'c1', url: url('c1'), server: 's1' }],
  };
  const withCamera = (edit: Record<string, unknown>): FarmConfigInput => ({
    ...config,
    cameras: [{ ...config.cameras[0], ...edit }],
  });
  const put = async (body: FarmConfigInput) => {
    const res = await fut.request('PUT', '/api/v1/config', body);
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  await fut.farm.startSim(LOCK.rtsp, ['c1', 'c1b']);
  await fut.start(config);
  await fut.settled({ c1: 's1' }, 60_000);

  // An operator's failover: c1 runs on s2; s1, still running, is back at once and fails back on request.
  const res = await fut.request('POST', '/api/v1/servers/s1/failover');
  assert.equal(res.status, 200);
  await fut.settled({ c1: 's2' });
  await fut.farm.waitFor(async () => (await fut.server('s1')).state === 'up', 15_000, 's1 back');

  const before = await fut.farm.api<unknown>('/api/v1/config');
  const edits: [string, Record<string, unknown>][] = [
    ['url', { url: url('c1b') }],
    ['streams', { streams: [{ url: url('c1b') }] }],
    ['storage', { storage: { maxStorageDays: '3' } }],
  ];
  for (const [field, edit] of edits) {
    // The refused edit comes with an acceptable one (a new camera): the whole configuration is refused.
    const body = withCamera(edit);
    body.cameras.push({ id: 'c9', url: url('c1b'), server: 's1' });
    const answer = await put(body);
    assert.equal(answer.status, 409, `${field}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error?.code, 'CAMERA_MOVED');
    assert.match(
      answer.body.error!.message,
      new RegExp(`camera c1 runs on s2 while its server s1 is failed over: ${field} cannot change`),
    );
    assert.deepEqual(await fut.farm.api<unknown>('/api/v1/config'), before, `${field}: nothing applied`);
  }
  const c1 = await fut.camera('c1');
  assert.deepEqual(
    [c1.url, c1.streams, c1.currentServer, c1.recording],
    [url('c1'), [], 's2', 'recording'],
    'c1 records on as it was',
  );
  assert.deepEqual(
    (await fut.cameras()).map((c) => c.id),
    ['c1'],
    'no camera c9',
  );

  // Home again: the same edit, all three at once, is accepted and applied.
  const fb = await fut.request('POST', '/api/v1/servers/s1/failback');
  assert.equal(fb.status, 200);
  await fut.settled({ c1: 's1' });
  const edit = { url: url('c1b'), streams: [{ url: url('c1') }], storage: { maxStorageDays: '3;5' } };
  const accepted = await put(withCamera(edit));
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  const applied = await fut.farm.api<FarmConfigInput>('/api/v1/config');
  assert.deepEqual(
    applied.cameras.map((c) => [c.id, c.url, c.streams?.map((x) => x.url), c.storage]),
    [['c1', edit.url, [url('c1')], edit.storage]],
  );
  await fut.farm.waitFor(
    async () => {
      const c = await fut.camera('c1');
      return c.url === edit.url && c.recording === 'recording' && c.streams[0]?.recording === 'recording';
    },
    30_000,
    'c1 recording from its new url, and its new stream',
  );
});
