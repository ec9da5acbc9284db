import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFarm } from '../src/farm/local-farm.ts';
import { JITTER_MS } from '../src/lib/continuity.ts';
import type { FarmConfigInput } from '../src/config/farm-config.ts';

// Fixed loopback ports away from the defaults and from test/failover.e2e.test.ts (18480, 18554, 18045+).
const MASTER_PORT = 18580;
const RTSP_PORT = 18654;
const UDP_BASE = 18145;
const PASSWORD = 'pl4yback-s3cret';
// Three nodes start at once after the master, each loading its sources through tsx on two busy
// cores: the start delay covers that, or a node still starting is failed over before it records.
const settings = {
  AliveIntervalMs: 250,
  FarmHealthMissedUdpMs: 1500,
  FarmHealthStartDelayMs: 12_000,
  StatusIntervalMs: 250,
};

/** Group 1: s1 records c1, s2 records c2, s3 is the redundant server. The cameras carry credentials. */
const config: FarmConfigInput = {
  settings,
  groups: [{ id: 1, redundancy: true }],
  servers: ['s1', 's2', 's3'].map((id, i) => ({ id, group: 1, host: '127.0.0.1', udpPort: UDP_BASE + i })),
  cameras: [
    { id: 'c1', url: `rtsp://viewer:${PASSWORD}@127.0.0.1:${RTSP_PORT}/c1`, server: 's1', movable: true },
    { id: 'c2', url: `rtsp://viewer:${PASSWORD}@127.0.0.1:${RTSP_PORT}/c2`, server: 's2', movable: true },
  ],
};

interface Camera {
  id: string;
  currentServer: string;
  recording: string;
}
interface Server {
  id: string;
  state: string;
}
interface Timeline {
  intervals: { startMs: number; endMs: number; servers: string[] }[];
  gaps: { startMs: number; endMs: number }[];
  recorded: { server: string; startMs: number; endMs: number }[];
}
interface Entry {
  uri: string;
  server: string;
  startMs: number;
  endMs: number;
  discontinuityBefore: boolean;
}

/** The entries of an HLS playlist as this project writes it (date-time, EXTINF, URI per segment). */
function parsePlaylist(text: string): { entries: Entry[]; ended: boolean; mediaSequence: number } {
  assert.ok(text.startsWith('#EXTM3U\n'), 'an m3u8 playlist');
  const entries: Entry[] = [];
  let disc = false;
  let start = Number.NaN;
  let seconds = Number.NaN;
  for (const line of text.split('\n')) {
    if (line === '#EXT-X-DISCONTINUITY') disc = true;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) start = Date.parse(line.slice(25));
    else if (line.startsWith('#EXTINF:')) seconds = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#')) {
      const server = /^\/api\/v1\/segments\/([^/]+)\/\d+\.ts$/.exec(line)?.[1];
      assert.ok(server, `segment URI through the master: ${line}`);
      entries.push({
        uri: line,
        server,
        startMs: start,
        endMs: start + Math.round(seconds * 1000),
        discontinuityBefore: disc,
      });
      disc = false;
    }
  }
  return {
    entries,
    ended: text.includes('\n#EXT-X-ENDLIST'),
    mediaSequence: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]),
  };
}

test('playback spans a failover: continuous where the timeline is, one MP4, live view, a server down', {
  timeout: 150_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-playback-e2e-'));
  const farm = new LocalFarm({ dir, farmKey: 'playback-e2e-key', masterPort: MASTER_PORT });
  t.after(async () => {
    await farm.close();
    if (process.env.VIGIL_KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const answers: string[] = []; // every text answer, searched for the camera password at the end
  const get = async (path: string) => {
    const res = await farm.fetch(path, { headers: farm.authHeaders() });
    const copy = res.clone();
    if (!(copy.headers.get('content-type') ?? '').startsWith('video/')) answers.push(await copy.text());
    answers.push(JSON.stringify([...res.headers]));
    return res;
  };
  const json = async <T>(path: string) => {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    return (await res.json()) as T;
  };
  const cameras = () => json<Camera[]>('/api/v1/cameras');
  const serverUp = async (id: string) =>
    (await json<Server[]>('/api/v1/servers')).find((s) => s.id === id)!.state === 'up';
  const playback = async (from: number, to: number) => {
    const res = await get(`/api/v1/cameras/c1/playback.m3u8?from=${from}&to=${to}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    return { missing: res.headers.get('x-vigil-missing-servers'), ...parsePlaylist(await res.text()) };
  };

  await farm.startSim(RTSP_PORT, ['c1', 'c2']);
  await farm.startMaster(config);
  const from = Date.now() - 1000; // before anything was recorded
  for (const id of ['s1', 's2', 's3']) farm.startNode(id);
  await farm.waitFor(
    async () => (await cameras()).every((c) => c.recording === 'recording'),
    60_000,
    'both cameras recording',
  );
  await delay(6000);
  assert.deepEqual(
    (await cameras()).map((c) => c.currentServer),
    ['s1', 's2'],
    'no failover before the kill',
  );

  await farm.kill('s1');
  await farm.waitFor(
    async () => (await cameras()).some((c) => c.id === 'c1' && c.currentServer === 's3' && c.recording === 'recording'),
    30_000,
    'c1 recording on s3',
  );
  await delay(6000);
  // s1 comes back (as the redundant server) so that its footage of c1 can be played again; its
  // first status also reports whatever it had indexed but not yet reported when it was killed.
  farm.startNode('s1');
  await farm.waitFor(() => serverUp('s1'), 30_000, 's1 back');
  await delay(1500);

  // The range ends where the timeline ends, so playlist, export and timeline cover the same footage.
  const known = await json<Timeline>(`/api/v1/cameras/c1/timeline?from=${from}&to=${Date.now() - 1000}`);
  const to = Math.max(...known.recorded.map((r) => r.endMs)); // unclipped: the end of a recorded segment
  const tl = await json<Timeline>(`/api/v1/cameras/c1/timeline?from=${from}&to=${to}`);
  assert.ok(tl.gaps.length >= 1, `the failover left a hole in the timeline: ${JSON.stringify(tl.gaps)}`);

  const pl = await playback(from, to);
  assert.equal(pl.missing, null, 'every server answered');
  assert.ok(pl.ended, 'a VOD playlist ends');
  const servers = pl.entries.map((e) => e.server);
  assert.ok(servers.includes('s1') && servers.includes('s3'), `footage of both servers: ${[...new Set(servers)]}`);
  assert.deepEqual([...new Set(servers)], ['s1', 's3'], 's1 until the failover, s3 after it');
  assert.equal(pl.entries[0].startMs, tl.intervals[0].startMs, 'the playlist starts where the footage does');
  // Recording goes on: a segment recorded after the timeline was read starts at `to`, or a
  // millisecond before it (segment times are rounded to ms), and then overlaps the range too.
  const last = pl.entries.at(-1)!;
  assert.ok(
    last.endMs === to || (last.startMs < to && last.startMs >= to - 5),
    `and ends where it does: last entry ${last.startMs}–${last.endMs}, range end ${to}`,
  );
  for (let i = 1; i < pl.entries.length; i++) {
    const [prev, next] = [pl.entries[i - 1], pl.entries[i]];
    assert.ok(next.startMs >= prev.endMs - JITTER_MS, `no overlap at ${i}`);
    const hole = tl.gaps.some((g) => g.startMs >= prev.endMs - JITTER_MS && g.endMs <= next.startMs + JITTER_MS);
    const expected = hole || prev.server !== next.server;
    assert.equal(
      next.discontinuityBefore,
      expected,
      `segment ${i} (${next.uri}): discontinuity ${next.discontinuityBefore}, timeline hole ${hole}, server ${prev.server}→${next.server}`,
    );
  }
  for (const g of tl.gaps)
    assert.ok(
      pl.entries.some((e) => e.discontinuityBefore && Math.abs(e.startMs - g.endMs) <= JITTER_MS),
      `a discontinuity at the hole ending ${g.endMs}`,
    );

  const seg = await get(pl.entries[0].uri);
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get('content-type'), 'video/mp2t');
  const bytes = Buffer.from(await seg.arrayBuffer());
  assert.ok(bytes.length > 188 && bytes[0] === 0x47, 'MPEG-TS bytes from the server that holds them');

  const exportDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('vigil-export-'));
  const exportDirsBefore = exportDirs();
  const exp = await get(`/api/v1/cameras/c1/export.mp4?from=${from}&to=${to}`);
  assert.equal(exp.status, 200);
  assert.equal(exp.headers.get('content-type'), 'video/mp4');
  const mp4 = join(dir, 'export.mp4');
  writeFileSync(mp4, Buffer.from(await exp.arrayBuffer()));
  const probe = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', mp4], {
      encoding: 'utf8',
    }),
  ) as {
    streams: { codec_name: string }[];
    format: { duration: string };
  };
  assert.deepEqual(
    probe.streams.map((s) => s.codec_name),
    ['h264'],
  );
  const recordedS = tl.intervals.reduce((sum, i) => sum + i.endMs - i.startMs, 0) / 1000;
  const exportedS = Number(probe.format.duration);
  assert.ok(Math.abs(exportedS - recordedS) <= 1.5, `export ${exportedS} s, recorded ${recordedS} s`);
  await farm.waitFor(
    () => exportDirs().every((d) => exportDirsBefore.includes(d)),
    5000,
    'the export temp folder removed',
  );
  assert.equal(
    (await get(`/api/v1/cameras/c1/export.mp4?from=${to - 3_600_001}&to=${to}`)).status,
    400,
    'over an hour is refused',
  );

  const before = await playback(from - 7_200_000, from - 3_600_000);
  assert.deepEqual(before.entries, [], 'nothing recorded then: an empty playlist');
  assert.ok(before.ended);
  assert.equal(
    (await get(`/api/v1/cameras/c1/export.mp4?from=${from - 7_200_000}&to=${from - 3_600_000}`)).status,
    204,
  );

  const live1 = await get('/api/v1/cameras/c1/live.m3u8');
  assert.equal(live1.status, 200);
  const l1 = parsePlaylist(await live1.text());
  assert.ok(!l1.ended, 'a live playlist has no end');
  assert.ok(
    l1.entries.length >= 1 && l1.entries.every((e) => e.server === 's3'),
    'live from the server recording c1 now',
  );
  assert.ok(Date.now() - l1.entries.at(-1)!.endMs < 10_000, 'and recent');
  const liveSeg = await get(l1.entries.at(-1)!.uri);
  assert.equal(liveSeg.status, 200);
  assert.equal(Buffer.from(await liveSeg.arrayBuffer())[0], 0x47);
  await delay(2500);
  const l2 = parsePlaylist(await (await get('/api/v1/cameras/c1/live.m3u8')).text());
  assert.ok(l2.mediaSequence > l1.mediaSequence, 'the window moves on');
  for (const [i, e] of l2.entries.entries()) {
    const j = l1.entries.findIndex((x) => x.uri === e.uri);
    if (j >= 0) assert.equal(l2.mediaSequence + i, l1.mediaSequence + j, `${e.uri} keeps its sequence number`);
  }
  const liveC2 = parsePlaylist(await (await get('/api/v1/cameras/c2/live.m3u8')).text());
  assert.ok(liveC2.entries.length >= 1 && liveC2.entries.every((e) => e.server === 's2'));

  // s1 down again: its footage cannot be fetched; the playlist says so and plays what s3 holds.
  await farm.kill('s1');
  const down = await playback(from, to);
  assert.equal(down.missing, 's1');
  assert.ok(down.entries.length > 0 && down.entries.every((e) => e.server === 's3'));
  assert.equal(
    (await get(`/api/v1/cameras/c1/export.mp4?from=${from}&to=${to}`)).headers.get('x-vigil-missing-servers'),
    's1',
  );

  const doc = await json<{ paths: Record<string, unknown> }>('/api/v1/openapi.json');
  for (const path of [
    '/api/v1/cameras/{id}/playback.m3u8',
    '/api/v1/cameras/{id}/export.mp4',
    '/api/v1/cameras/{id}/live.m3u8',
    '/api/v1/segments/{server}/{segment}',
  ])
    assert.ok(path in doc.paths, `${path} in the OpenAPI document`);

  for (const a of answers) assert.ok(!a.includes(PASSWORD), 'no answer shows the camera password');
  for (const name of ['master', 's1', 's2', 's3'])
    assert.ok(!readFileSync(join(dir, `${name}.log`), 'utf8').includes(PASSWORD), `${name}.log has no camera password`);
});
