import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { fakeClockEnv } from '../src/farm/fake-clock.ts';
import { diskSegments, frameTimeAgreement } from './support/disk-footage.ts';
import { FarmUnderTest } from './support/farm-under-test.ts';
import { runVigil } from './support/run-vigil.ts';

// Ports of helper B's range (27200-27299).
const PORTS = { master: 27280, rtsp: 27254, udp: 27245 };
const SKEW_MS = 5000;

interface ServerClockView {
  id: string;
  clock: { offsetMs: number | null; rttMs: number | null; masterEstimateMs: number | null; warning?: string } | null;
}

test('a server whose clock is 5 s ahead: the skew is reported and warned of, its footage placed in farm time within 200 ms of the truth', {
  timeout: 150_000,
}, async (t) => {
  const fut = new FarmUnderTest(t, 'clockskew', PORTS.master);
  // One camera, recorded twice: as `ahead` by s1, whose clock is 5 s fast (libfaketime, its
  // ffmpegs too), and as `truth` by s2, whose clock is right. The same frames reach both.
  const url = `rtsp://127.0.0.1:${PORTS.rtsp}/cam`;
  const config: FarmConfigInput = {
    settings: { StatusIntervalMs: 250, FarmHealthStartDelayMs: 8000 },
    groups: [{ id: 1, redundancy: false }],
    servers: ['s1', 's2'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: PORTS.udp + i })),
    cameras: [
      { id: 'ahead', url, server: 's1', movable: false },
      { id: 'truth', url, server: 's2', movable: false },
    ],
  };
  await fut.farm.startSim(PORTS.rtsp, ['cam']);
  await fut.start(config, { s1: fakeClockEnv(`+${SKEW_MS / 1000}s`) });

  // The skew, as GET /api/v1/servers shows it: s1's own estimate and the master's cross-check.
  let clocks: Record<string, ServerClockView['clock']> = {};
  await fut.farm.waitFor(
    async () => {
      const servers = await fut.farm.api<ServerClockView[]>('/api/v1/servers');
      clocks = Object.fromEntries(servers.map((s) => [s.id, s.clock]));
      // The first round trips carry a TLS handshake and a cold start: an estimate is only as good as its rtt/2.
      return [clocks.s1, clocks.s2].every((c) => c?.rttMs != null && c.rttMs <= 50);
    },
    60_000,
    'both servers reporting clock estimates from fast round trips',
  );
  t.diagnostic(`clocks: ${JSON.stringify(clocks)}`);
  const s1 = clocks.s1!;
  const s2 = clocks.s2!;
  assert.ok(Math.abs((s1.offsetMs ?? 0) - SKEW_MS) < 100, `s1 offset ${s1.offsetMs} ms, not ~${SKEW_MS}`);
  assert.match(s1.warning ?? '', /^clock \+\d+ ms off farm time \(bound 500 ms\)$/);
  assert.ok(Math.abs((s1.masterEstimateMs ?? 0) - SKEW_MS) < 300, `master's cross-check ${s1.masterEstimateMs}`);
  assert.ok(Math.abs(s2.offsetMs ?? NaN) < 100, `s2 offset ${s2.offsetMs} ms`);
  assert.equal(s2.warning, undefined);

  // At least 6 s of footage of both, on the disks.
  const segs = () => ({
    ahead: diskSegments(fut.storageOf('s1'), 'ahead'),
    truth: diskSegments(fut.storageOf('s2'), 'truth'),
  });
  await fut.farm.waitFor(
    () => segs().ahead.length >= 6 && segs().truth.length >= 6,
    60_000,
    'six segments of each recording',
  );
  const { ahead, truth } = segs();
  // Frames matched by content: where s1's files place each frame against where s2's place it.
  const offsets = frameTimeAgreement(ahead, truth)
    .map((p) => p.aMs - p.bMs)
    .sort((a, b) => a - b);
  assert.ok(offsets.length >= 30, `only ${offsets.length} frames found in both recordings`);
  const worst = Math.max(...offsets.map(Math.abs));
  t.diagnostic(
    `${offsets.length} frames matched; s1 − s2 (ms): min ${offsets[0].toFixed(1)}, median ${offsets[offsets.length >> 1].toFixed(1)}, max ${offsets.at(-1)?.toFixed(1)}`,
  );
  assert.ok(worst <= 200, `a frame placed ${worst.toFixed(0)} ms off the truth`);

  // The master's timeline is in farm time too: nothing of s1 ends in the (master's) future.
  const now = Date.now();
  const tl = await fut.timeline('ahead', now - 60_000, now + 60_000);
  const lastEnd = Math.max(...tl.recorded.map((r) => r.endMs));
  assert.ok(lastEnd <= Date.now() + 200, `s1's footage ends ${lastEnd - now} ms in the future`);

  // `vigil status` shows the offset and the warning.
  const st = await runVigil([
    'status',
    '--master',
    fut.farm.masterUrl,
    '--token',
    fut.farm.admin.token,
    '--ca',
    fut.farm.caFile,
  ]);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /^s1\s+1\s+active\s+up\s+\+\d{4}ms!\s+ahead$/m);
  assert.match(st.stdout, /^warning: server s1: clock \+\d+ ms off farm time \(bound 500 ms\)$/m);
  assert.doesNotMatch(st.stdout, /warning: server s2/);

  // Logged once, not per status.
  const warned = readFileSync(fut.logOf('master'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"server clock off farm time"'));
  assert.equal(warned.length, 1, warned.join('\n'));
  assert.match(warned[0], /"server":"s1"/);
});
