import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { CopyBack, indexLocator, type CopyBackOptions } from './copy-back.ts';
import type { CopyJob, CopyJobStatus } from '../protocol/copy-job.ts';
import { NodeApi } from './node-api.ts';
import { KeepAliveHttp, readText, type SendRequest } from '../node-client/keep-alive-http.ts';
import { LocalIndex } from '../storage/local-index.ts';
import { segmentRelPath } from '../storage/layout.ts';
import type { SegmentSink, StorageSink } from '../storage/segment-sink.ts';
import type { CommitOptions, StoragePaths } from '../storage/storage-paths.ts';
import { singlePathSink } from '../../test/support/test-sink.ts';
import { createLogger } from '../lib/log.ts';
import { testPki } from '../auth/test-pki.ts';
import { farmClientTls } from '../auth/peer-identity.ts';
import { tlsFetch } from '../lib/http/tls.ts';

// Copy-back on mutual TLS as in a farm: each server has its certificate; the home server calls the
// source with its own, and the source lets a server use its copy-back routes.
const pki = await testPki();
const ca = pki.ca.caPem;
const identities = { src: { ...(await pki.server('src')), ca }, home: { ...(await pki.server('home')), ca } };
const master = tlsFetch(farmClientTls({ ...pki.ca.master, ca }, 'server'));
after(async () => {
  await master.close();
  pki.remove();
});
const log = createLogger('test', 'silent');
const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

/** A recording server as copy-back sees it: index, one storage path, sink, and its NodeApi on 127.0.0.1. */
interface Server {
  name: string;
  dir: string;
  root: string;
  index: LocalIndex;
  sink: StorageSink;
  paths: StoragePaths;
  api: NodeApi;
}

async function server(base: string, name: 'src' | 'home'): Promise<Server> {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  const root = join(dir, 'storage');
  const index = new LocalIndex(join(dir, 'index.sqlite'));
  const { sink, paths } = await singlePathSink(root, name, index, log);
  const roots = (seg: { id: number }) => (index.copies(seg.id).length ? index.copies(seg.id) : [root]);
  // The source lets the home release any footage of its cameras: the jobs of the tests name no other.
  const copySources = () =>
    ['cam1', 'cam2'].map((camera) => ({ job: 'any', home: 'home', camera, stream: 0, fromMs: 0, toMs: 2 ** 52 }));
  const api = new NodeApi({ host: '127.0.0.1', port: 0, roots, index, tls: identities[name], log, copySources });
  await api.start();
  return { name, dir, root, index, sink, paths, api };
}

/** Source segment i: T0 + i s, one second long; its file written straight into storage and indexed. */
interface SourceSegment {
  id: number;
  startMs: number;
  endMs: number;
  file: string;
  data: Buffer;
}

function record(src: Server, count: number, bytes = 2000, camera = 'cam1'): SourceSegment[] {
  return Array.from({ length: count }, (_, i) => {
    const startMs = T0 + i * 1000;
    const rel = segmentRelPath(camera, startMs, src.name);
    const file = join(src.root, rel);
    const data = randomBytes(bytes + i); // sizes differ, so a mix-up shows
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
    // Written well before the copy, as footage of a failover period is: the source may cache its checksum.
    utimesSync(file, new Date(startMs), new Date(startMs));
    const id = src.index.addStored(
      { cameraId: camera, startMs, endMs: startMs + 1000, path: rel, bytes: data.length },
      [src.root],
    );
    return { id, startMs, endMs: startMs + 1000, file, data };
  });
}

/** Counts what a CopyBack asks of the source (downloads and successful releases per segment id), and injects faults. */
class Traffic {
  downloads = new Map<number, number>();
  releases = new Map<number, number>();
  /** Downloads under way (asked, body not ended), and the most seen at once. */
  inFlight = 0;
  mostInFlight = 0;
  /** Called with the path of each request before it is sent; may throw, or hold it. */
  before: (path: string) => void | Promise<void> = () => {};
  /** What a download's body goes through on its way: a fault in transit, say. */
  body: (id: number, body: Readable) => Readable = (_id, body) => body;
  /** What a download's trailers become. */
  trailers: (t: Record<string, string | undefined>) => Record<string, string | undefined> = (t) => t;
  readonly http = new KeepAliveHttp(16, farmClientTls(identities.home, 'server'));
  readonly send: SendRequest = async (req) => {
    const url = new URL(req.url);
    const seg = /^\/node\/v1\/segments\/(\d+)(\/release)?$/.exec(url.pathname);
    const download = seg && !seg[2];
    if (download) this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    try {
      await this.before(url.pathname);
      const res = await this.http.send(req);
      if (download && res.status === 200) {
        bump(this.downloads, Number(seg[1]));
        res.body.once('close', () => this.inFlight--);
        return {
          status: res.status,
          body: this.body(Number(seg[1]), res.body),
          trailers: () => this.trailers(res.trailers()),
        };
      }
      if (download) this.inFlight--;
      if (!seg?.[2] || res.status !== 200) return res;
      const text = await readText(res.body);
      if ((JSON.parse(text) as { released: boolean }).released) bump(this.releases, Number(seg[1]));
      return { ...res, body: Readable.from([Buffer.from(text)]) };
    } catch (err) {
      if (download) this.inFlight--;
      throw err;
    }
  };
}

/** A `before` hook holding the first `n` downloads until all `n` are asked: that many are surely in flight at once. */
function gather(n: number): (path: string) => Promise<void> {
  let asked = 0;
  let open!: () => void;
  const all = new Promise<void>((r) => (open = r));
  return async (path) => {
    if (!/\/segments\/\d+$/.test(path) || asked >= n) return;
    if (++asked === n) open();
    await all;
  };
}

function bump(m: Map<number, number>, id: number): void {
  m.set(id, (m.get(id) ?? 0) + 1);
}

interface Farm {
  base: string;
  src: Server;
  home: Server;
  traffic: Traffic;
  /** The options of every commit a CopyBack made. */
  commits: (CommitOptions | undefined)[];
  job: (o?: Partial<CopyJob>) => CopyJob;
  copyBack: (o?: Partial<CopyBackOptions>) => CopyBack;
}

async function withFarm(fn: (f: Farm) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'vigil-copy-back-'));
  const src = await server(base, 'src');
  const home = await server(base, 'home');
  const traffic = new Traffic();
  const made: CopyBack[] = [];
  const commits: (CommitOptions | undefined)[] = [];
  const sink: SegmentSink = {
    commit: (staged, seg, o) => {
      commits.push(o);
      return home.sink.commit(staged, seg, o);
    },
  };
  const f: Farm = {
    base,
    src,
    home,
    traffic,
    commits,
    job: (o = {}) => ({
      id: 'job1',
      camera: 'cam1',
      stream: 0,
      source: { server: 'src', url: src.api.url },
      fromMs: T0,
      toMs: T0 + 60_000,
      ...o,
    }),
    copyBack: (o = {}) => {
      const cb = new CopyBack({
        dataDir: join(home.dir, 'data'),
        stagingDir: join(home.dir, 'copy-staging'),
        sink,
        log,
        locate: indexLocator({ index: home.index, nodeId: 'home', roots: (seg) => home.index.copies(seg.id) }),
        http: traffic.send,
        // Chunk boundaries fall mid-segment, so a segment listed by two chunks is copied once.
        listChunkMs: 2500,
        retryDelayMs: 10,
        ...o,
      });
      made.push(cb);
      return cb;
    },
  };
  try {
    await fn(f);
  } finally {
    for (const cb of made) await cb.close();
    traffic.http.close();
    for (const s of [src, home]) {
      await s.api.close();
      await s.paths.close();
      s.index.close();
    }
    rmSync(base, { recursive: true, force: true });
  }
}

async function finished(cb: CopyBack, id: string, timeoutMs = 20_000): Promise<CopyJobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = cb.status().find((j) => j.id === id);
    if (s && s.state !== 'running') return s;
    if (Date.now() > deadline) throw new Error(`job ${id} still running after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function sourceListing(f: Farm): Promise<number[]> {
  const res = await master.fetch(`${f.src.api.url}/node/v1/segments?camera=cam1&from=${T0}&to=${T0 + 3_600_000}`);
  return ((await res.json()) as { segments: { id: number }[] }).segments.map((s) => s.id);
}

/** The home copies: data by start time. */
function homeCopies(f: Farm): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const s of f.home.index.listRecorded('cam1', T0, T0 + 3_600_000))
    out.set(s.startMs, readFileSync(join(f.home.root, s.path)));
  return out;
}

const totalBytes = (segs: SourceSegment[]) => segs.reduce((a, s) => a + s.data.length, 0);

/** Every segment is at the source as recorded, or home byte for byte, or both: none is lost. */
function noneLost(f: Farm, segs: SourceSegment[]): void {
  const home = homeCopies(f);
  for (const s of segs) {
    if (existsSync(s.file)) continue;
    assert.deepEqual(home.get(s.startMs), s.data, `segment ${s.id} released only with a verified copy home`);
  }
}

/** A body fault: the first byte flipped on the way. */
function corrupt(): Transform {
  let flipped = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const out = Buffer.from(chunk);
      if (!flipped) out[0] ^= 0xff;
      flipped = true;
      done(null, out);
    },
  });
}

const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const noPartFiles = (f: Farm) =>
  assert.deepEqual(readdirSync(join(f.home.dir, 'copy-staging')), [], 'no part file left');

test('a job brings every segment home, verified and durable, and empties the source', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 6);
    const cb = f.copyBack();
    const started = await cb.start(f.job());
    assert.equal(started.state, 'running');
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'done', st.error);
    assert.deepEqual(
      {
        segments: st.segments,
        segmentsDone: st.segmentsDone,
        bytes: st.bytes,
        bytesDone: st.bytesDone,
        percent: st.percent,
        etaMs: st.etaMs,
      },
      { segments: 6, segmentsDone: 6, bytes: totalBytes(segs), bytesDone: totalBytes(segs), percent: 100, etaMs: 0 },
    );
    assert.equal(st.error, undefined);

    const home = f.home.index.listRecorded('cam1', T0, T0 + 3_600_000);
    assert.deepEqual(
      home.map((s) => [s.startMs, s.endMs, s.bytes, s.stream]),
      segs.map((s) => [s.startMs, s.endMs, s.data.length, 0]),
    );
    assert.ok(
      home.every((s) => s.path.endsWith('_src+home.ts')),
      'named by the server that recorded them and the one that copied them',
    );
    const copies = homeCopies(f);
    for (const s of segs) assert.deepEqual(copies.get(s.startMs), s.data, `segment at ${s.startMs} byte for byte`);
    assert.deepEqual(
      f.commits,
      segs.map(() => ({ durable: true })),
      'each stored on disk (fsync) before its release',
    );

    assert.deepEqual(await sourceListing(f), [], 'the source lists nothing of the period');
    for (const s of segs) assert.equal(existsSync(s.file), false, `${s.file} deleted at the source`);
    for (const s of segs) {
      assert.equal(f.traffic.downloads.get(s.id), 1, `segment ${s.id} downloaded once`);
      assert.equal(f.traffic.releases.get(s.id), 1, `segment ${s.id} released once`);
    }
    noPartFiles(f);

    assert.equal((await cb.start(f.job())).state, 'done', 'the same job id is not started again');
    assert.equal(cb.status().length, 1);
  }));

test('several segments in flight: all stored, all released, the counters only grow and saves are coalesced', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 12, 50_000);
    const seen: Pick<CopyJobStatus, 'segments' | 'segmentsDone' | 'bytes' | 'bytesDone'>[] = [];
    f.traffic.before = gather(4);
    const cb: CopyBack = f.copyBack({
      listChunkMs: 60_000,
      onChange: () => {
        const { segments, segmentsDone, bytes, bytesDone } = cb.status()[0];
        seen.push({ segments, segmentsDone, bytes, bytesDone });
      },
    });
    const t0 = Date.now();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    const elapsedMs = Date.now() - t0;
    await cb.close(); // the last save, and its onChange, may still be under way
    assert.equal(st.state, 'done', st.error);
    assert.equal(f.traffic.mostInFlight, 4, 'four downloads at once, no more');
    for (const s of segs) {
      assert.equal(f.traffic.downloads.get(s.id), 1, `segment ${s.id} downloaded once`);
      assert.equal(f.traffic.releases.get(s.id), 1, `segment ${s.id} released once`);
      assert.deepEqual(homeCopies(f).get(s.startMs), s.data);
    }
    assert.equal(f.commits.length, 12);
    assert.ok(f.commits.every((o) => o?.durable));
    for (const [i, c] of seen.entries()) {
      assert.ok(c.segmentsDone <= c.segments && c.bytesDone <= c.bytes, `save ${i}: done within the totals`);
      if (i > 0)
        assert.ok(
          c.segmentsDone >= seen[i - 1].segmentsDone && c.bytesDone >= seen[i - 1].bytesDone,
          `save ${i}: counters never go back`,
        );
    }
    assert.deepEqual(seen.at(-1), {
      segments: 12,
      segmentsDone: 12,
      bytes: totalBytes(segs),
      bytesDone: totalBytes(segs),
    });
    // Queued, counted and finished are saved at once; the segments at most once per 250 ms.
    assert.ok(seen.length <= 3 + Math.ceil(elapsedMs / 250) + 1, `${seen.length} saves in ${elapsedMs} ms`);
    noPartFiles(f);
  }));

test('a download corrupted on its way every time fails the job, naming the segment; it is neither stored nor released, none is lost', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 3);
    f.traffic.body = (id, body) => (id === segs[1].id ? body.pipe(corrupt()) : body);
    const cb = f.copyBack();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'failed');
    assert.match(
      st.error ?? '',
      new RegExp(
        `segment ${segs[1].id} \\(cam1 stream 0, ${new Date(segs[1].startMs).toISOString()}\\).*sha256.*not released`,
      ),
    );
    assert.equal(f.traffic.downloads.get(segs[1].id), 4, 'fetched once and retried three times');
    assert.equal(f.traffic.releases.get(segs[1].id), undefined, 'not released');
    assert.ok(existsSync(segs[1].file), 'still at the source');
    assert.equal(homeCopies(f).has(segs[1].startMs), false, 'not stored');
    noneLost(f, segs);
    noPartFiles(f);
  }));

test('a source that sends no checksum (older than this copy-back) fails the job; nothing is stored or released', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 2);
    f.traffic.trailers = () => ({});
    const cb = f.copyBack();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'failed');
    assert.match(st.error ?? '', /no sha-256 Repr-Digest trailer/);
    assert.equal(homeCopies(f).size, 0);
    assert.equal(f.traffic.releases.size, 0);
    for (const s of segs) assert.ok(existsSync(s.file));
  }));

test('a source file changed after it was sent is not released: both copies are kept and the job goes on', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 3);
    f.traffic.before = (path) => {
      if (path === `/node/v1/segments/${segs[1].id}/release`) appendFileSync(segs[1].file, 'changed');
    };
    const cb = f.copyBack();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'done', st.error);
    assert.equal(
      f.src.index.checksum(segs[1].id)?.sha256,
      sha256Of(segs[1].data),
      'the source cached the checksum it sent',
    );
    assert.deepEqual(homeCopies(f).get(segs[1].startMs), segs[1].data, 'home keeps what was sent');
    assert.deepEqual(
      readFileSync(segs[1].file),
      Buffer.concat([segs[1].data, Buffer.from('changed')]),
      'the source keeps its changed file',
    );
    assert.equal(f.traffic.releases.get(segs[1].id), undefined);
    for (const s of [segs[0], segs[2]]) assert.equal(f.traffic.releases.get(s.id), 1);
  }));

test('a job closed with several segments in flight resumes with a new CopyBack: every segment home, released, none lost', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 10, 20_000);
    let asked = 0;
    let closing: Promise<void> | undefined;
    const first: CopyBack = f.copyBack({ listChunkMs: 60_000 });
    f.traffic.before = (path) => {
      // Asked for the 7th download, the others are downloading, storing or releasing: stop then.
      if (/\/segments\/\d+$/.test(path) && ++asked === 7) closing = first.close();
    };
    await first.start(f.job());
    while (!closing) await new Promise((r) => setTimeout(r, 5));
    await closing;
    f.traffic.before = () => {};
    const stopped = first.status()[0];
    assert.equal(stopped.state, 'running', 'a closed job stays to be resumed');
    assert.ok(stopped.segmentsDone < 10, `${stopped.segmentsDone} done when closed`);
    noneLost(f, segs);
    noPartFiles(f);

    const second = f.copyBack({ listChunkMs: 60_000 });
    const st = await finished(second, 'job1');
    assert.equal(st.state, 'done', st.error);
    assert.ok(st.segmentsDone >= stopped.segmentsDone && st.segmentsDone <= 10);
    for (const s of segs) {
      assert.deepEqual(homeCopies(f).get(s.startMs), s.data, `segment ${s.id} home`);
      assert.equal(existsSync(s.file), false, `segment ${s.id} released`);
      assert.ok((f.traffic.releases.get(s.id) ?? 0) <= 1, `segment ${s.id} released at most once`);
      assert.ok((f.traffic.downloads.get(s.id) ?? 0) <= 2, `segment ${s.id} downloaded at most twice`);
    }
    assert.deepEqual(await sourceListing(f), []);
  }));

test('segments stored before a crash but not released are verified at home, not downloaded again, then released', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 5);
    let first: CopyBack | undefined;
    let stopped = false;
    // The node "dies" at its first release: what was stored by then is home, still at the source.
    f.traffic.before = async (path) => {
      if (!stopped && path.endsWith('/release')) {
        stopped = true;
        void first!.close();
        throw new DOMException('the node went down', 'AbortError');
      }
    };
    first = f.copyBack({ listChunkMs: 60_000 });
    await first.start(f.job());
    while (!stopped) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    assert.equal(first.status()[0].state, 'running');
    assert.equal(first.status()[0].segmentsDone, 0);
    const storedFirst = [...homeCopies(f).keys()];
    assert.ok(storedFirst.length >= 1, 'stored at home');
    for (const s of segs.filter((x) => storedFirst.includes(x.startMs)))
      assert.ok(existsSync(s.file), 'and still at the source');

    const second = f.copyBack();
    const st = await finished(second, 'job1');
    assert.equal(st.state, 'done', st.error);
    for (const s of segs) {
      if (storedFirst.includes(s.startMs))
        assert.equal(f.traffic.downloads.get(s.id), 1, `segment ${s.id} verified at home, not downloaded again`);
      assert.equal(f.traffic.releases.get(s.id), 1, `segment ${s.id} released once`);
      assert.deepEqual(homeCopies(f).get(s.startMs), s.data);
    }
    assert.deepEqual(await sourceListing(f), []);
  }));

test('an instant home recorded itself (handover overlap): both recordings are kept at home, the source copy is released', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 2);
    const staged = join(f.base, 'other.ts');
    writeFileSync(staged, 'a recording of its own');
    await f.home.sink.commit(staged, {
      cameraId: 'cam1',
      stream: 0,
      startMs: segs[1].startMs,
      endMs: segs[1].startMs + 400,
      bytes: 22,
    });
    const cb = f.copyBack();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'done');
    // The home's own segment may be the short last one of a stop: the source's full second must come too.
    const home = f.home.index.listRecorded('cam1', T0, T0 + 3_600_000);
    assert.deepEqual(
      home.map((s) => [s.startMs, s.endMs, s.path.split('_').at(-1)]),
      [
        [segs[0].startMs, segs[0].endMs, 'src+home.ts'],
        [segs[1].startMs, segs[1].startMs + 400, 'home.ts'],
        [segs[1].startMs, segs[1].endMs, 'src+home.ts'],
      ],
    );
    assert.equal(f.traffic.releases.get(segs[1].id), 1);
  }));

test('maxBytesPerSec holds over concurrent downloads: in virtual time, the bytes take (bytes - burst) / rate', () =>
  withFarm(async (f) => {
    const rate = 256 * 1024;
    const burst = 64 * 1024; // the bucket's at this rate
    const segs = record(f.src, 8, 128 * 1024);
    // Virtual time: a wait ends at its due time, whatever else waits meanwhile; no real waiting.
    const clock = { ms: 0, now: () => clock.ms };
    const sleep = async (ms: number) => {
      const due = clock.ms + ms;
      await new Promise((r) => setImmediate(r));
      clock.ms = Math.max(clock.ms, due);
    };
    f.traffic.before = gather(4);
    const cb = f.copyBack({ maxBytesPerSec: rate, clock, sleep, listChunkMs: 60_000 });
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'done', st.error);
    assert.equal(f.traffic.mostInFlight, 4, 'four downloads shared the rate');
    const total = totalBytes(segs);
    const floorMs = ((total - burst) / rate) * 1000;
    assert.ok(clock.ms >= floorMs, `${total} bytes at ${rate} B/s took ${clock.ms} ms, under ${floorMs}`);
    assert.ok(
      clock.ms <= (total / rate) * 1000 + 100,
      `${total} bytes at ${rate} B/s took ${clock.ms} ms: slower than the rate`,
    );
    assert.ok(
      st.rateBytesPerSec > 0 && st.rateBytesPerSec <= (rate * total) / (total - burst),
      `rate ${st.rateBytesPerSec}`,
    );
  }));

test('jobs run one at a time in order and survive a restart as history', () =>
  withFarm(async (f) => {
    record(f.src, 2);
    record(f.src, 2, 500, 'cam2');
    const cb = f.copyBack();
    await cb.start(f.job({ id: 'a' }));
    await cb.start(f.job({ id: 'b', camera: 'cam2' }));
    assert.equal((await finished(cb, 'a')).state, 'done');
    assert.equal((await finished(cb, 'b')).state, 'done');
    await assert.rejects(cb.start(f.job({ id: 'c', camera: '../x' })), /copy job "c"/);
    await cb.close();
    const again = f.copyBack();
    assert.deepEqual(
      again.status().map((s) => [s.id, s.state, s.segmentsDone, s.percent]),
      [
        ['a', 'done', 2, 100],
        ['b', 'done', 2, 100],
      ],
    );
    // The saved file is whole JSON, written by rename.
    const saved = JSON.parse(readFileSync(join(f.home.dir, 'data', 'copy-back.json'), 'utf8')) as { jobs: unknown[] };
    assert.equal(saved.jobs.length, 2);
  }));
