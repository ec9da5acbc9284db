import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CopyBack, indexLocator, type CopyBackOptions, type CopyJob, type CopyJobStatus } from './copy-back.ts';
import { NodeApi } from './node-api.ts';
import { LocalIndex } from '../recorder/local-index.ts';
import { segmentRelPath } from '../recorder/layout.ts';
import type { StorageSink } from '../recorder/segment-sink.ts';
import type { StoragePaths } from '../recorder/storage-paths.ts';
import { singlePathSink } from '../recorder/test-sink.ts';
import { farmKeys } from '../lib/farm-keys.ts';
import { createLogger } from '../lib/log.ts';

const TOKEN = farmKeys(Buffer.from('copy-back-test-key')).api;
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

async function server(base: string, name: string): Promise<Server> {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  const root = join(dir, 'storage');
  const index = new LocalIndex(join(dir, 'index.sqlite'));
  const { sink, paths } = await singlePathSink(root, name, index, log);
  const roots = (seg: { id: number }) => (index.copies(seg.id).length ? index.copies(seg.id) : [root]);
  const api = new NodeApi({ host: '127.0.0.1', port: 0, roots, index, apiToken: TOKEN, log });
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
    const id = src.index.addStored({ cameraId: camera, startMs, endMs: startMs + 1000, path: rel, bytes: data.length }, [src.root]);
    return { id, startMs, endMs: startMs + 1000, file, data };
  });
}

/** Counts what a CopyBack asks of the source: downloads and successful releases per segment id. */
class Traffic {
  downloads = new Map<number, number>();
  releases = new Map<number, number>();
  /** Called with the path of each request before it is sent; may throw. */
  before: (path: string) => void | Promise<void> = () => {};
  /** Called after a copy-list answer has arrived. */
  afterList: () => void = () => {};
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    await this.before(url.pathname);
    const res = await fetch(input, init);
    const seg = /^\/node\/v1\/segments\/(\d+)(\/release)?$/.exec(url.pathname);
    if (seg && !seg[2] && res.ok) bump(this.downloads, Number(seg[1]));
    if (seg?.[2] && res.ok) {
      const body = (await res.clone().json()) as { released: boolean };
      if (body.released) bump(this.releases, Number(seg[1]));
    }
    if (url.pathname === '/node/v1/copy-list') this.afterList();
    return res;
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
  job: (o?: Partial<CopyJob>) => CopyJob;
  copyBack: (o?: Partial<CopyBackOptions>) => CopyBack;
}

async function withFarm(fn: (f: Farm) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'vigil-copy-back-'));
  const src = await server(base, 'src');
  const home = await server(base, 'home');
  const traffic = new Traffic();
  const made: CopyBack[] = [];
  const f: Farm = {
    base,
    src,
    home,
    traffic,
    job: (o = {}) => ({ id: 'job1', camera: 'cam1', stream: 0, source: { server: 'src', url: src.api.url }, fromMs: T0, toMs: T0 + 60_000, ...o }),
    copyBack: (o = {}) => {
      const cb = new CopyBack({
        dataDir: join(home.dir, 'data'),
        stagingDir: join(home.dir, 'copy-staging'),
        sink: home.sink,
        apiToken: TOKEN,
        log,
        locate: indexLocator({ index: home.index, nodeId: 'home', roots: (seg) => home.index.copies(seg.id) }),
        fetch: traffic.fetch,
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
  const res = await fetch(`${f.src.api.url}/node/v1/segments?camera=cam1&from=${T0}&to=${T0 + 3_600_000}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { segments: { id: number }[] }).segments.map((s) => s.id);
}

/** The home copies: data by start time. */
function homeCopies(f: Farm): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const s of f.home.index.listRecorded('cam1', T0, T0 + 3_600_000)) out.set(s.startMs, readFileSync(join(f.home.root, s.path)));
  return out;
}

const totalBytes = (segs: SourceSegment[]) => segs.reduce((a, s) => a + s.data.length, 0);

test('a job brings every segment home, verified, and empties the source', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 6);
    const cb = f.copyBack();
    const started = await cb.start(f.job());
    assert.equal(started.state, 'running');
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'done', st.error);
    assert.deepEqual(
      { segments: st.segments, segmentsDone: st.segmentsDone, bytes: st.bytes, bytesDone: st.bytesDone, percent: st.percent, etaMs: st.etaMs },
      { segments: 6, segmentsDone: 6, bytes: totalBytes(segs), bytesDone: totalBytes(segs), percent: 100, etaMs: 0 },
    );
    assert.equal(st.error, undefined);

    const home = f.home.index.listRecorded('cam1', T0, T0 + 3_600_000);
    assert.deepEqual(home.map((s) => [s.startMs, s.endMs, s.bytes, s.stream]), segs.map((s) => [s.startMs, s.endMs, s.data.length, 0]));
    assert.ok(home.every((s) => s.path.endsWith('_src.ts')), 'named by the server that recorded them');
    const copies = homeCopies(f);
    for (const s of segs) assert.deepEqual(copies.get(s.startMs), s.data, `segment at ${s.startMs} byte for byte`);

    assert.deepEqual(await sourceListing(f), [], 'the source lists nothing of the period');
    for (const s of segs) assert.equal(existsSync(s.file), false, `${s.file} deleted at the source`);
    for (const s of segs) {
      assert.equal(f.traffic.downloads.get(s.id), 1, `segment ${s.id} downloaded once`);
      assert.equal(f.traffic.releases.get(s.id), 1, `segment ${s.id} released once`);
    }
    assert.deepEqual(readdirSync(join(f.home.dir, 'copy-staging')), [], 'no part file left');

    assert.equal((await cb.start(f.job())).state, 'done', 'the same job id is not started again');
    assert.equal(cb.status().length, 1);
  }));

test('a download that never matches the listed checksum fails the job, naming the segment, and releases nothing of it', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 3);
    // The source's file changes after it was listed (hashed): the copy can never be verified.
    f.traffic.afterList = () => appendFileSync(segs[1].file, 'tampered');
    const cb = f.copyBack();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'failed');
    assert.match(st.error ?? '', new RegExp(`segment ${segs[1].id} \\(cam1 stream 0, ${new Date(segs[1].startMs).toISOString()}\\).*sha256.*not released`));
    assert.equal(f.traffic.downloads.get(segs[1].id), 4, 'fetched once and retried three times');
    assert.equal(f.traffic.releases.get(segs[1].id), undefined, 'not released');
    assert.ok(existsSync(segs[1].file), 'still at the source');
    assert.ok(existsSync(segs[2].file), 'the rest is left alone too');
    assert.equal(f.traffic.downloads.get(segs[2].id), undefined);
    assert.deepEqual([...homeCopies(f).keys()], [segs[0].startMs], 'only the verified one is home');
    assert.deepEqual(readdirSync(join(f.home.dir, 'copy-staging')), [], 'no part file left');
  }));

test('a job interrupted after a segment resumes with a new CopyBack on the same data dir, copying each segment once', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 5);
    let closing: Promise<void> | undefined;
    const first: CopyBack = f.copyBack({
      onChange: () => {
        if (!closing && (first.status()[0]?.segmentsDone ?? 0) >= 1) closing = first.close();
      },
    });
    await first.start(f.job());
    while (!closing) await new Promise((r) => setTimeout(r, 5));
    await closing;
    const stopped = first.status()[0];
    assert.equal(stopped.state, 'running', 'a closed job stays to be resumed');
    assert.equal(stopped.segmentsDone, 1);

    const second = f.copyBack();
    const st = await finished(second, 'job1');
    assert.equal(st.state, 'done', st.error);
    assert.equal(st.segmentsDone, 5);
    assert.equal(st.bytesDone, totalBytes(segs));
    for (const s of segs) {
      assert.equal(f.traffic.downloads.get(s.id), 1, `segment ${s.id} downloaded once`);
      assert.equal(f.traffic.releases.get(s.id), 1, `segment ${s.id} released once`);
    }
    assert.equal(homeCopies(f).size, 5);
    assert.deepEqual(await sourceListing(f), []);
  }));

test('a segment stored before a crash but not released is verified at home, not downloaded again, then released', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 3);
    let first: CopyBack | undefined;
    let stopped = false;
    // The node "dies" just before its first release: segment 0 is stored at home, still at the source.
    f.traffic.before = async (path) => {
      if (!stopped && path.endsWith('/release')) {
        stopped = true;
        void first!.close();
        throw new DOMException('the node went down', 'AbortError');
      }
    };
    first = f.copyBack();
    await first.start(f.job());
    while (!stopped) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    assert.equal(first.status()[0].state, 'running');
    assert.equal(first.status()[0].segmentsDone, 0);
    assert.equal(homeCopies(f).size, 1, 'stored at home');
    assert.ok(existsSync(segs[0].file), 'and still at the source');

    const second = f.copyBack();
    const st = await finished(second, 'job1');
    assert.equal(st.state, 'done', st.error);
    for (const s of segs) {
      assert.equal(f.traffic.downloads.get(s.id), 1, `segment ${s.id} downloaded once`);
      assert.equal(f.traffic.releases.get(s.id), 1, `segment ${s.id} released once`);
    }
    assert.deepEqual(await sourceListing(f), []);
  }));

test('an instant home recorded itself (handover overlap): both recordings are kept at home, the source copy is released', () =>
  withFarm(async (f) => {
    const segs = record(f.src, 2);
    const staged = join(f.base, 'other.ts');
    writeFileSync(staged, 'a recording of its own');
    await f.home.sink.commit(staged, { cameraId: 'cam1', stream: 0, startMs: segs[1].startMs, endMs: segs[1].startMs + 400, bytes: 22 });
    const cb = f.copyBack();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    assert.equal(st.state, 'done');
    // The home's own segment may be the short last one of a stop: the source's full second must come too.
    const home = f.home.index.listRecorded('cam1', T0, T0 + 3_600_000);
    assert.deepEqual(home.map((s) => [s.startMs, s.endMs, s.path.split('_').at(-1)]), [
      [segs[0].startMs, segs[0].endMs, 'src.ts'],
      [segs[1].startMs, segs[1].startMs + 400, 'home.ts'],
      [segs[1].startMs, segs[1].endMs, 'src.ts'],
    ]);
    assert.equal(f.traffic.releases.get(segs[1].id), 1);
  }));

test('with maxBytesPerSec the copy takes at least about bytes / rate', () =>
  withFarm(async (f) => {
    const rate = 256 * 1024;
    const segs = record(f.src, 4, 128 * 1024);
    const cb = f.copyBack({ maxBytesPerSec: rate });
    const t0 = Date.now();
    await cb.start(f.job());
    const st = await finished(cb, 'job1');
    const elapsed = Date.now() - t0;
    assert.equal(st.state, 'done', st.error);
    // At most 64 KiB pass unpaced (the bucket's burst); the rest at the rate. Loose: lower bound only.
    const floorMs = ((totalBytes(segs) - 64 * 1024) / rate) * 1000;
    assert.ok(elapsed >= floorMs * 0.8, `${totalBytes(segs)} bytes at ${rate} B/s took ${elapsed} ms, under ${Math.round(floorMs * 0.8)} ms`);
    assert.ok(st.rateBytesPerSec > 0);
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
    assert.deepEqual(again.status().map((s) => [s.id, s.state, s.segmentsDone, s.percent]), [['a', 'done', 2, 100], ['b', 'done', 2, 100]]);
    // The saved file is whole JSON, written by rename.
    const saved = JSON.parse(readFileSync(join(f.home.dir, 'data', 'copy-back.json'), 'utf8')) as { jobs: unknown[] };
    assert.equal(saved.jobs.length, 2);
  }));
