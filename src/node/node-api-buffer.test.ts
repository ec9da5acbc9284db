import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeApi } from './node-api.ts';
import { LocalIndex } from '../storage/local-index.ts';
import type { BufferedSegment } from '../recorder/camera-recorder.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { farmKeys } from '../lib/farm-keys.ts';
import { createLogger } from '../lib/log.ts';

const TOKEN = farmKeys(Buffer.from('node-api-buffer-test')).api;
const auth = { authorization: `Bearer ${TOKEN.toString()}` };

/** A node relaying camera `relayed` live: three real 1 s segments in its pre-buffer, nothing indexed. */
async function withRelay(
  fn: (o: { url: string; held: BufferedSegment[]; drop: () => void }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-node-api-buffer-'));
  const buf = join(dir, 'buffer');
  mkdirSync(buf);
  execFileSync(ffmpegPath(), [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10',
    '-t',
    '3',
    '-c:v',
    'libx264',
    '-g',
    '10',
    '-f',
    'segment',
    '-segment_time',
    '1',
    join(buf, 'seg%03d.ts'),
  ]);
  const t0 = Date.now() - 3000;
  let held: BufferedSegment[] = readdirSync(buf)
    .sort()
    .map((name, i) => ({
      file: join(buf, name),
      startMs: t0 + i * 1000,
      endMs: t0 + (i + 1) * 1000,
      bytes: statSync(join(buf, name)).size,
    }));
  const index = new LocalIndex(join(dir, 'index.sqlite'));
  const api = new NodeApi({
    host: '127.0.0.1',
    port: 0,
    roots: () => [join(dir, 'storage')],
    index,
    apiToken: TOKEN,
    log: createLogger('test', 'silent'),
    buffered: (camera, stream) => (camera === 'relayed' && stream === 0 ? held : []),
  });
  try {
    await api.start();
    await fn({ url: api.url, held, drop: () => (held = held.slice(1)) });
  } finally {
    await api.close();
    index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a relayed camera is live from the pre-buffer: playlist of buffer URIs, each serving the held file', () =>
  withRelay(async ({ url, held, drop }) => {
    const res = await fetch(`${url}/node/v1/cameras/relayed/live.m3u8`, { headers: auth });
    assert.equal(res.status, 200);
    const text = await res.text();
    const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      uris,
      held.map((s) => `/node/v1/buffer/relayed/0/${s.startMs}.ts`),
    );
    assert.ok(!text.includes('#EXT-X-ENDLIST'), 'a live playlist has no end');
    for (const [i, uri] of uris.entries()) {
      const seg = await fetch(url + uri, { headers: auth });
      assert.equal(seg.status, 200);
      assert.equal(seg.headers.get('content-type'), 'video/mp2t');
      assert.deepEqual(Buffer.from(await seg.arrayBuffer()), readFileSync(held[i].file));
    }
    // A segment that left the window since the playlist was read is gone, not an error of the node.
    drop();
    assert.equal((await fetch(url + uris[0], { headers: auth })).status, 404);
    // The playlist keeps its numbering as the window slides.
    const seq = (t: string) => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(t)![1]);
    const next = await (await fetch(`${url}/node/v1/cameras/relayed/live.m3u8`, { headers: auth })).text();
    assert.equal(seq(next), seq(text) + 1);
  }));

test('nothing else is served from a buffer: other cameras, streams, starts, and requests without the token', () =>
  withRelay(async ({ url, held }) => {
    const start = held[0].startMs;
    assert.equal((await fetch(`${url}/node/v1/cameras/other/live.m3u8`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${url}/node/v1/cameras/relayed/live.m3u8?stream=1`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${url}/node/v1/buffer/other/0/${start}.ts`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${url}/node/v1/buffer/relayed/1/${start}.ts`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${url}/node/v1/buffer/relayed/0/${start + 1}.ts`, { headers: auth })).status, 404);
    assert.equal(
      (await fetch(`${url}/node/v1/buffer/relayed/0/..%2F..%2Fetc%2Fpasswd`, { headers: auth })).status,
      400,
    );
    assert.equal((await fetch(`${url}/node/v1/buffer/relayed/0/${start}.ts`)).status, 401);
  }));
