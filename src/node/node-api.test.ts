import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NodeApi } from './node-api.ts';
import { LocalIndex } from '../storage/local-index.ts';
import { segmentRelPath } from '../storage/layout.ts';
import { ffmpegPath } from '../lib/ffmpeg-path.ts';
import { createLogger } from '../lib/log.ts';
import type { CopySource } from '../protocol/assignment.ts';
import { testPki } from '../auth/test-pki.ts';
import { farmClientTls, type FarmTls } from '../auth/peer-identity.ts';
import { tlsFetch, type ClientTls } from '../lib/http/tls.ts';

const SECRET = 'root:x:0:0 outside the storage';

/** The home server of the fixture's copy-back jobs, as its certificate names it. */
const HOME = 'h1';

// The farm's certificates: the node API's own (server n1), and its callers': the master, the home
// of its copy-back jobs (h1), another server (s2), n1 itself, and someone with no certificate at all.
const pki = await testPki();
const ca = pki.ca.caPem;
const n1: FarmTls = { ...(await pki.server('n1')), ca };
const CALLERS = {
  master: farmClientTls({ ...pki.ca.master, ca }, 'server'),
  home: farmClientTls({ ...(await pki.server(HOME)), ca }, 'server'),
  s2: farmClientTls({ ...(await pki.server('s2')), ca }, 'server'),
  n1: farmClientTls(n1, 'server'),
  none: { ca } as ClientTls,
};
type Caller = keyof typeof CALLERS;
const clients = Object.fromEntries(Object.entries(CALLERS).map(([k, v]) => [k, tlsFetch(v)])) as Record<
  Caller,
  ReturnType<typeof tlsFetch>
>;
after(async () => {
  await Promise.all(Object.values(clients).map((c) => c.close()));
  pki.remove();
});

interface Fixture {
  api: NodeApi;
  index: LocalIndex;
  root: string;
  /** Index ids of the three real segments, oldest first, and their files. */
  ids: number[];
  files: string[];
  t0: number;
  /** Index ids of rows that point outside the storage root. */
  escapes: number[];
  /** The copy-back jobs this node is the source of (its assignment's copySources); tests change them. */
  jobs: CopySource[];
}

/** Three real 1 s H.264 MPEG-TS segments, indexed as if recorded just now, plus tampered index rows. */
async function withNodeApi(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-node-api-'));
  const root = join(dir, 'storage');
  const gen = join(dir, 'gen');
  mkdirSync(root, { recursive: true });
  mkdirSync(gen);
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
    join(gen, 'seg%03d.ts'),
  ]);
  const generated = readdirSync(gen).sort();
  assert.equal(generated.length, 3, 'ffmpeg made three segments');
  const indexFile = join(dir, 'index.sqlite');
  const index = new LocalIndex(indexFile);
  const t0 = Date.now() - 3000;
  const ids: number[] = [];
  const files: string[] = [];
  generated.forEach((name, i) => {
    const rel = segmentRelPath('cam1', t0 + i * 1000, 'n1');
    const file = join(root, rel);
    mkdirSync(dirname(file), { recursive: true });
    renameSync(join(gen, name), file);
    files.push(file);
    ids.push(
      index.add({
        cameraId: 'cam1',
        startMs: t0 + i * 1000,
        endMs: t0 + (i + 1) * 1000,
        path: rel,
        bytes: statSync(file).size,
      }),
    );
  });
  // A file next to the storage root, and three index rows that try to reach it.
  writeFileSync(join(dir, 'outside.ts'), SECRET);
  symlinkSync(join(dir, 'outside.ts'), join(root, 'link.ts'));
  const escapes = ['../outside.ts', join(dir, 'outside.ts'), 'link.ts'].map((path, i) =>
    index.add({ cameraId: 'evil', startMs: i, endMs: i + 1, path, bytes: 1 }),
  );
  const jobs: CopySource[] = ['cam1', 'evil'].map((camera) => ({
    job: `fb1-${camera}`,
    home: HOME,
    camera,
    stream: 0,
    fromMs: 0,
    toMs: t0 + 3000,
  }));
  const api = new NodeApi({
    host: '127.0.0.1',
    port: 0,
    roots: () => [root],
    index,
    tls: n1,
    log: createLogger('test', 'silent'),
    copySources: () => jobs,
  });
  try {
    await api.start();
    await fn({ api, index, root, ids, files, t0, escapes, jobs });
  } finally {
    await api.close();
    index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const get = (f: Fixture, path: string, as: Caller = 'master') => clients[as].fetch(f.api.url + path);

/** A GET with the path sent byte for byte (fetch would resolve `..` before sending). */
function rawGet(f: Fixture, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(f.api.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, agent: false, ...CALLERS.master }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("every endpoint needs a farm certificate; playback and the storage check the master's", () =>
  withNodeApi(async (f) => {
    assert.match(f.api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    for (const path of [
      `/node/v1/segments?camera=cam1&from=${f.t0}&to=${f.t0 + 3000}`,
      `/node/v1/segments/${f.ids[0]}.ts`,
      '/node/v1/cameras/cam1/live.m3u8',
    ]) {
      await assert.rejects(get(f, path, 'none'), `${path} without a certificate: no TLS connection`);
      const other = await testPki();
      const stranger = tlsFetch(farmClientTls({ ...(await other.server('s9')), ca }, 'server'));
      await assert.rejects(stranger.fetch(f.api.url + path), `${path} with another CA's certificate`);
      await stranger.close();
      other.remove();
      const s2 = await get(f, path, 's2');
      if (path.includes('/segments')) assert.equal(s2.status, 200, 'listings and downloads are copy-back’s too');
      else {
        assert.equal(s2.status, 403, `${path} by another server`);
        assert.equal(((await s2.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
      }
      assert.equal((await get(f, path)).status, 200, `${path} by the master`);
    }
    const check = await clients.s2.fetch(`${f.api.url}/node/v1/storage/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: [f.root] }),
    });
    assert.equal(check.status, 403, 'the storage check is the master’s');
  }));

test('the listing gives the index rows of a camera in a range, without storage paths', () =>
  withNodeApi(async (f) => {
    const all = (await (await get(f, `/node/v1/segments?camera=cam1&from=${f.t0}&to=${f.t0 + 3000}`)).json()) as {
      camera: string;
      segments: Record<string, number>[];
    };
    assert.equal(all.camera, 'cam1');
    assert.deepEqual(
      all.segments,
      f.ids.map((id, i) => ({
        id,
        startMs: f.t0 + i * 1000,
        endMs: f.t0 + (i + 1) * 1000,
        bytes: statSync(f.files[i]).size,
      })),
    );
    const middle = (await (
      await get(f, `/node/v1/segments?camera=cam1&from=${f.t0 + 1500}&to=${f.t0 + 1600}`)
    ).json()) as { segments: { id: number }[] };
    assert.deepEqual(
      middle.segments.map((s) => s.id),
      [f.ids[1]],
    );
    const none = (await (await get(f, `/node/v1/segments?camera=other&from=${f.t0}&to=${f.t0 + 3000}`)).json()) as {
      segments: unknown[];
    };
    assert.deepEqual(none.segments, []);
    assert.equal((await get(f, `/node/v1/segments?camera=cam1&from=${f.t0}&to=${f.t0}`)).status, 400, 'empty range');
    assert.equal((await get(f, '/node/v1/segments?camera=cam1&from=x&to=1')).status, 400, 'not a time');
  }));

test('a segment is served by id, byte for byte, as MPEG-TS', () =>
  withNodeApi(async (f) => {
    for (const [i, path] of [`/node/v1/segments/${f.ids[1]}.ts`, `/node/v1/segments/${f.ids[2]}`].entries()) {
      const res = await get(f, path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'video/mp2t');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(f.files[i + 1]));
    }
    assert.equal((await get(f, '/node/v1/segments/999999.ts')).status, 404);
  }));

test('the live playlist covers the latest segments and keeps its numbering on reload', () =>
  withNodeApi(async (f) => {
    const res = await get(f, '/node/v1/cameras/cam1/live.m3u8');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    const text = await res.text();
    assert.deepEqual(
      text.split('\n').filter((l) => l && !l.startsWith('#')),
      f.ids.map((id) => `/node/v1/segments/${id}.ts`),
    );
    assert.match(text, new RegExp(`#EXT-X-MEDIA-SEQUENCE:${Math.floor(f.t0 / 1000)}\n`));
    assert.ok(!text.includes('#EXT-X-ENDLIST'), 'a live playlist has no end');
    assert.equal(await (await get(f, '/node/v1/cameras/cam1/live.m3u8')).text(), text, 'same segments, same playlist');
    assert.equal(
      (await get(f, '/node/v1/cameras/other/live.m3u8')).status,
      404,
      'a camera not recorded here is not live here',
    );
  }));

test('no request reaches a file outside the storage root', () =>
  withNodeApi(async (f) => {
    for (const path of [
      '/node/v1/segments/../../../../etc/passwd',
      '/node/v1/segments/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/node/v1/segments/%2Fetc%2Fpasswd',
      '/node/v1/segments/..%2Foutside.ts',
      '/node/v1/segments/link.ts',
      `/node/v1/segments/${f.ids[0]}.ts%2F..%2F..%2Foutside.ts`,
      '/node/v1/segments/-1',
      '/node/v1/cameras/..%2F..%2Fetc/live.m3u8',
    ]) {
      const res = await rawGet(f, path);
      assert.ok([400, 404].includes(res.status), `${path}: ${res.status}`);
      assert.ok(!res.body.includes(SECRET) && !res.body.includes('root:x:0:0'), `${path} leaked a file`);
    }
    // Index rows that point out of the root (relative, absolute, through a symlink) are not served either.
    for (const id of f.escapes) {
      const res = await get(f, `/node/v1/segments/${id}.ts`);
      assert.equal(res.status, 404, `tampered row ${id}`);
      assert.ok(!(await res.text()).includes(SECRET));
    }
  }));

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** POSTs as a caller: by default the home of the copy-back jobs (its certificate names it), which may release. */
const post = (f: Fixture, path: string, body: unknown, as: Caller = 'home') =>
  clients[as].fetch(f.api.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('the copy list gives each segment with the size of its file', () =>
  withNodeApi(async (f) => {
    const path = `/node/v1/copy-list?camera=cam1&from=${f.t0}&to=${f.t0 + 3000}`;
    await assert.rejects(get(f, path, 'none'), 'a certificate is needed');
    assert.equal((await get(f, path, 's2')).status, 200, 'another server may list for copy-back');
    const res = await get(f, path);
    assert.equal(res.status, 200);
    const list = (await res.json()) as { camera: string; segments: unknown[] };
    assert.equal(list.camera, 'cam1');
    assert.deepEqual(
      list.segments,
      f.ids.map((id, i) => ({
        id,
        startMs: f.t0 + i * 1000,
        endMs: f.t0 + (i + 1) * 1000,
        bytes: statSync(f.files[i]).size,
      })),
    );
    assert.equal(
      (await get(f, `/node/v1/copy-list?camera=cam1&from=${f.t0}&to=${f.t0 + 26 * 3_600_000}`)).status,
      400,
      'over the range limit',
    );
    // Rows pointing outside the storage root are left out.
    const evil = (await (await get(f, '/node/v1/copy-list?camera=evil&from=0&to=10')).json()) as {
      segments: unknown[];
    };
    assert.deepEqual(evil.segments, []);
  }));

/** A GET asking for the segment's sha-256 (RFC 9530): status, headers, body and trailers as sent. */
function digestGet(
  f: Fixture,
  id: number,
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
  trailers: Record<string, string | undefined>;
}> {
  const url = new URL(f.api.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `/node/v1/segments/${id}`,
        agent: false,
        ...CALLERS.s2,
        headers: { 'want-repr-digest': 'sha-256=10' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            trailers: res.trailers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Makes a file look recorded an hour ago, as footage copied back is: its checksum may be cached. */
const settle = (file: string, at = new Date(Date.now() - 3_600_000)) => utimesSync(file, at, at);
const digestOf = (file: string) => `sha-256=:${createHash('sha256').update(readFileSync(file)).digest('base64')}:`;

test('asked for its digest, a segment comes chunked with its sha-256 in a trailer, cached once the file is settled', () =>
  withNodeApi(async (f) => {
    const [id] = f.ids;
    const fresh = await digestGet(f, id);
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.body, readFileSync(f.files[0]));
    assert.equal(fresh.headers['transfer-encoding'], 'chunked');
    assert.equal(fresh.headers['content-length'], undefined);
    assert.equal(fresh.trailers['repr-digest'], digestOf(f.files[0]));
    assert.equal(f.index.checksum(id), undefined, 'written just now: it could still change unseen, so not cached');

    settle(f.files[0]);
    assert.equal((await digestGet(f, id)).trailers['repr-digest'], digestOf(f.files[0]));
    assert.equal(f.index.checksum(id)?.sha256, sha256Of(f.files[0]), 'settled: cached for the release');
    // Players ask without: a plain response, with its length.
    const plain = await get(f, `/node/v1/segments/${id}.ts`);
    assert.equal(plain.headers.get('content-length'), String(statSync(f.files[0]).size));
    assert.equal(plain.headers.get('trailer'), null);
  }));

test('release after the file changed is refused, even with the checksum that was cached for it', () =>
  withNodeApi(async (f) => {
    const [id] = f.ids;
    const original = readFileSync(f.files[0]);
    const sent = sha256Of(f.files[0]);
    const release = async () => (await post(f, `/node/v1/segments/${id}/release`, { sha256: sent })).status;
    const recordedAt = new Date(Date.now() - 3_600_000);
    settle(f.files[0], recordedAt);
    const sentMtime = statSync(f.files[0], { bigint: true }).mtimeNs;
    await digestGet(f, id);
    assert.equal(f.index.checksum(id)?.sha256, sent);

    appendFileSync(f.files[0], 'more');
    assert.equal(await release(), 409, 'grown since it was sent');
    // Same size, other bytes, and its old times put back: the change time still tells.
    const other = Buffer.from(original);
    other[100] ^= 0xff;
    writeFileSync(f.files[0], other);
    settle(f.files[0], recordedAt);
    assert.equal(statSync(f.files[0], { bigint: true }).mtimeNs, sentMtime, 'the same modification time as when sent');
    assert.equal(await release(), 409, 'rewritten in place since it was sent');
    assert.ok(statSync(f.files[0]).isFile(), 'refused: nothing deleted');

    writeFileSync(f.files[0], original);
    assert.equal(await release(), 200, 'the same bytes again: hashed anew, released');
    assert.throws(() => statSync(f.files[0]), /ENOENT/);
  }));

test('release deletes a segment only for the sha256 of its file, and once', () =>
  withNodeApi(async (f) => {
    const [id] = f.ids;
    const right = sha256Of(f.files[0]);
    const listed = async () =>
      (
        (await (await get(f, `/node/v1/segments?camera=cam1&from=${f.t0}&to=${f.t0 + 3000}`)).json()) as {
          segments: { id: number }[];
        }
      ).segments.map((s) => s.id);
    await assert.rejects(
      post(f, `/node/v1/segments/${id}/release`, { sha256: right }, 'none'),
      'a certificate is needed',
    );
    assert.equal((await post(f, `/node/v1/segments/${id}/release`, { sha256: 'abc' })).status, 400, 'not a sha256');
    assert.equal((await post(f, `/node/v1/segments/${id}.ts/release`, { sha256: right })).status, 400, 'ids only');

    const wrong = await post(f, `/node/v1/segments/${id}/release`, { sha256: 'f'.repeat(64) });
    assert.equal(wrong.status, 409);
    const err = ((await wrong.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'CHECKSUM_MISMATCH');
    assert.match(err.message, new RegExp(`segment ${id}.*nothing released`));
    assert.ok(statSync(f.files[0]).isFile(), 'a refused release deletes nothing');
    assert.deepEqual(await listed(), f.ids);

    const ok = await post(f, `/node/v1/segments/${id}/release`, { sha256: right.toUpperCase() });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { released: true });
    assert.throws(() => statSync(f.files[0]), /ENOENT/, 'the file is deleted');
    assert.deepEqual(await listed(), f.ids.slice(1), 'no longer listed');
    assert.equal((await get(f, `/node/v1/segments/${id}.ts`)).status, 404, 'no longer served');

    for (const again of [id, 999999]) {
      const res = await post(f, `/node/v1/segments/${again}/release`, { sha256: right });
      assert.equal(res.status, 200, `release of ${again}`);
      assert.deepEqual(await res.json(), { released: false }, `release of ${again}`);
    }
    // A row whose file is out of reach (outside the root) is neither hashed nor deleted.
    assert.equal((await post(f, `/node/v1/segments/${f.escapes[0]}/release`, { sha256: right })).status, 404);
  }));

test('release is refused (403) unless the caller is the home of a copy-back job of the segment; nothing is deleted', () =>
  withNodeApi(async (f) => {
    const [id, second] = f.ids;
    const sha256 = sha256Of(f.files[0]);
    const release = async (as: Caller, n = id) => {
      const res = await post(f, `/node/v1/segments/${n}/release`, { sha256 }, as);
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    const refusals: [string, Caller][] = [
      ['the master (its certificate names no server)', 'master'],
      ['another server', 's2'],
      ['the source itself', 'n1'],
    ];
    for (const [what, as] of refusals) {
      const r = await release(as);
      assert.equal(r.status, 403, what);
      assert.equal(r.body.error?.code, 'FORBIDDEN', what);
      assert.match(r.body.error!.message, /is the home of no copy-back job here; nothing released/, what);
    }
    // An unknown id answers the same to a caller that is no home: nothing is learnt of the index.
    assert.equal((await release('s2', 999_999)).status, 403);

    // The home, for a segment outside its job: the job's range ends before it, then another camera's job.
    f.jobs.splice(0, f.jobs.length, { ...f.jobs[0], toMs: f.t0 });
    const outside = await release('home');
    assert.equal(outside.status, 403);
    assert.match(outside.body.error!.message, new RegExp(`server ${HOME} has no copy-back job of camera cam1`));
    f.jobs.splice(0, f.jobs.length, { ...f.jobs[0], camera: 'cam2', toMs: f.t0 + 3000 });
    assert.equal((await release('home')).status, 403, "another camera's job");
    f.jobs.splice(0, f.jobs.length, { ...f.jobs[0], camera: 'cam1', stream: 1 });
    assert.equal((await release('home')).status, 403, "another stream's job");
    f.jobs.splice(0, f.jobs.length);
    assert.equal((await release('home')).status, 403, 'a finished job (gone from the assignment)');
    for (const file of f.files) assert.ok(statSync(file).isFile(), `${file} kept`);

    f.jobs.push({ job: 'fb2-cam1', home: HOME, camera: 'cam1', stream: 0, fromMs: f.t0, toMs: f.t0 + 1000 });
    assert.deepEqual(await release('home'), { status: 200, body: { released: true } }, 'the home of its job');
    assert.throws(() => statSync(f.files[0]), /ENOENT/);
    const next = await post(f, `/node/v1/segments/${second}/release`, { sha256: sha256Of(f.files[1]) });
    assert.equal(next.status, 403, 'the next segment is past the job');
  }));

test('release deletes every storage path’s copy, and none when one copy differs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-node-api-release-'));
  const roots = [join(dir, 'a'), join(dir, 'b')];
  const index = new LocalIndex(join(dir, 'index.sqlite'));
  const api = new NodeApi({
    host: '127.0.0.1',
    port: 0,
    roots: (seg) => index.copies(seg.id),
    index,
    tls: n1,
    log: createLogger('test', 'silent'),
    copySources: () => [{ job: 'j', home: HOME, camera: 'cam1', stream: 0, fromMs: 0, toMs: 3000 }],
  });
  try {
    const store = (startMs: number, contents: string[]) => {
      const rel = segmentRelPath('cam1', startMs, 'n1');
      roots.forEach((root, i) => {
        mkdirSync(dirname(join(root, rel)), { recursive: true });
        writeFileSync(join(root, rel), contents[i]);
      });
      return {
        id: index.addStored(
          { cameraId: 'cam1', startMs, endMs: startMs + 1000, path: rel, bytes: contents[0].length },
          roots,
        ),
        files: roots.map((r) => join(r, rel)),
      };
    };
    const same = store(1000, ['video', 'video']);
    const differ = store(2000, ['video', 'other']);
    await api.start();
    const sha = createHash('sha256').update('video').digest('hex');
    const release = (id: number) =>
      clients.home.fetch(`${api.url}/node/v1/segments/${id}/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sha256: sha }),
      });

    assert.equal((await release(differ.id)).status, 409);
    for (const file of differ.files) assert.ok(statSync(file).isFile(), `${file} kept`);
    assert.deepEqual(index.copies(differ.id), roots);

    assert.deepEqual(await (await release(same.id)).json(), { released: true });
    for (const file of same.files) assert.throws(() => statSync(file), /ENOENT/, `${file} deleted`);
    assert.equal(index.get(same.id), undefined);
    assert.deepEqual(index.copies(same.id), []);
  } finally {
    await api.close();
    index.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
