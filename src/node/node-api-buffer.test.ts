import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeApi } from './node-api.ts';
import { LocalIndex } from '../storage/local-index.ts';
import type { BufferedSegment } from '../recorder/camera-recorder.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { createLogger } from '../lib/log.ts';
import { testPki } from '../auth/test-pki.ts';
import { farmClientTls } from '../auth/peer-identity.ts';
import { tlsFetch } from '../lib/http/tls.ts';

const pki = await testPki();
const ca = pki.ca.caPem;
const n1 = { ...(await pki.server('n1')), ca };
const master = tlsFetch(farmClientTls({ ...pki.ca.master, ca }, 'server'));
const s2 = tlsFetch(farmClientTls({ ...(await pki.server('s2')), ca }, 'server'));
after(async () => {
  await master.close();
  await s2.close();
  pki.remove();
});

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
    tls: n1,
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
    const res = await master.fetch(`${url}/node/v1/cameras/relayed/live.m3u8`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      uris,
      held.map((s) => `/node/v1/buffer/relayed/0/${s.startMs}.ts`),
    );
    assert.ok(!text.includes('#EXT-X-ENDLIST'), 'a live playlist has no end');
    for (const [i, uri] of uris.entries()) {
      const seg = await master.fetch(url + uri);
      assert.equal(seg.status, 200);
      assert.equal(seg.headers.get('content-type'), 'video/mp2t');
      assert.deepEqual(Buffer.from(await seg.arrayBuffer()), readFileSync(held[i].file));
    }
    // A segment that left the window since the playlist was read is gone, not an error of the node.
    drop();
    assert.equal((await master.fetch(url + uris[0])).status, 404);
    // The playlist keeps its numbering as the window slides.
    const seq = (t: string) => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(t)![1]);
    const next = await (await master.fetch(`${url}/node/v1/cameras/relayed/live.m3u8`)).text();
    assert.equal(seq(next), seq(text) + 1);
  }));

test('nothing else is served from a buffer: other cameras, streams, starts, and requests of another server', () =>
  withRelay(async ({ url, held }) => {
    const start = held[0].startMs;
    assert.equal((await master.fetch(`${url}/node/v1/cameras/other/live.m3u8`)).status, 404);
    assert.equal((await master.fetch(`${url}/node/v1/cameras/relayed/live.m3u8?stream=1`)).status, 404);
    assert.equal((await master.fetch(`${url}/node/v1/buffer/other/0/${start}.ts`)).status, 404);
    assert.equal((await master.fetch(`${url}/node/v1/buffer/relayed/1/${start}.ts`)).status, 404);
    assert.equal((await master.fetch(`${url}/node/v1/buffer/relayed/0/${start + 1}.ts`)).status, 404);
    assert.equal((await master.fetch(`${url}/node/v1/buffer/relayed/0/..%2F..%2Fetc%2Fpasswd`)).status, 400);
    assert.equal((await s2.fetch(`${url}/node/v1/buffer/relayed/0/${start}.ts`)).status, 403, 'the master’s only');
  }));
