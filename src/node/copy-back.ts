import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as timer } from 'node:timers/promises';
import { systemClock, type Clock } from '../lib/clock.ts';
import { eachLimited } from '../lib/each-limited.ts';
import { VigilError, errText } from '../lib/errors.ts';
import { resolveInside } from '../lib/inside-root.ts';
import type { Logger } from '../lib/log.ts';
import { segmentRelPath, streamFolder, writerTag } from '../storage/layout.ts';
import type { IndexedSegment, LocalIndex } from '../storage/local-index.ts';
import type { SegmentSink, StagedSegment } from '../storage/segment-sink.ts';
import { nodeStorageFs } from '../storage/storage-paths.ts';
import {
  afterSegment,
  nextChunk,
  progress,
  take,
  toCopy,
  type Bucket,
  type Counters,
  type RunSample,
} from './copy-progress.ts';
import { sha256File, sha256OfReprDigest } from './file-digest.ts';
import type { CopyJob, CopyJobStatus } from '../protocol/copy-job.ts';
import type { NodeCopySegment } from '../protocol/node-api.ts';
import type { NodeResponse, SendRequest } from '../node-client/keep-alive-http.ts';
import { NodeClient } from '../node-client/node-client.ts';
import { NodeHttpError, NodeUnreachableError } from '../node-client/node-http-error.ts';

/** Settings and ports of a CopyBack. */
export interface CopyBackOptions {
  /** Where the job file (copy-back.json) lives. */
  dataDir: string;
  /** Where downloads are written (as `copyback-*.part`) before the sink takes them: not the recorders' staging. */
  stagingDir: string;
  sink: SegmentSink;
  /** The farm's API token, which the source's NodeApi wants. */
  apiToken: Buffer;
  log: Logger;
  /** Download rate cap, so recording keeps its disk bandwidth; 0 or absent: none. */
  maxBytesPerSec?: number;
  /** Called after every saved change of a job (segments copied, a job done or failed). */
  onChange?: () => void;
  /**
   * This node's stored file of a segment, by the name the sink gives it (see indexLocator), or
   * undefined. Without it a segment found stored here already (a crash after storing it) cannot be
   * verified, and its job fails rather than release the source's copy unverified.
   */
  locate?: (seg: StagedSegment) => Promise<string | undefined>;
  /** How requests reach the source (default: node:http with keep-alive connections). */
  http?: SendRequest;
  clock?: Clock;
  /** Waits (default: a timer); with `clock`, lets a test run the rate limit in virtual time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Length of one copy-list request (default 15 min, at most 24 h). */
  listChunkMs?: number;
  /** Segments copied at once (default 4): one's download overlaps the others' storing and release. */
  concurrency?: number;
  /** First wait before retrying a request that failed for a passing reason (default 1000; doubles, 5 attempts). */
  retryDelayMs?: number;
}

/** A job as saved: its counters, where listing resumes, and the rate it ended with. */
interface StoredJob extends Counters {
  job: CopyJob;
  error?: string;
  /** Whether segments/bytes hold the source's count yet. */
  counted: boolean;
  /** Start of the next chunk to list: the chunks before it are copied. */
  cursorMs: number;
  /** Rate of the run that finished the job. */
  rate: number;
}

/** A copy of a segment held here: its checksum and size. */
interface HomeCopy {
  sha256: string;
  bytes: number;
}

const FILE = 'copy-back.json';
const PART_PREFIX = 'copyback-';
/** A segment whose download does not match the checksum the source sent is fetched this many more times. */
const HASH_RETRIES = 3;
const CONCURRENCY = 4;
/** Network reads (64 KiB at most) gathered into one write: a 1 MB segment is written in one system call. */
const WRITE_BATCH = 16;
/**
 * Progress is saved at most this often while segments flow (and at once when a job starts, ends
 * or fails): a count lost to a crash costs the figure only, never a segment, since the source's
 * listing and locate() tell what is left to do.
 */
const SAVE_EVERY_MS = 250;
const REQUEST_ATTEMPTS = 5;
const DAY_MS = 24 * 3_600_000;
/** Finished jobs kept for status(); older ones are forgotten. */
const KEEP_FINISHED = 50;

/** A download that broke off: worth retrying, like the network failing or the source busy or restarting. */
class PassingError extends Error {}

/** Whether a request failed for a passing reason: no answer, a 5xx or 429, a download broken off. */
function passing(err: unknown): boolean {
  return (
    err instanceof PassingError || err instanceof NodeUnreachableError || (err instanceof NodeHttpError && err.passing)
  );
}

/**
 * Failback with copy-back, on the home server: pulls a camera's footage of a failover period from
 * the server that recorded it, oldest first, a few segments at a time. The source hashes each
 * segment as it sends it and gives the SHA-256 in a trailer; this server hashes what it received,
 * stores it through the node's sink only when both agree, durably (fsync), and only then has the
 * source delete ("release") its copy, which the source does only if its file still has that
 * checksum. So at every moment each segment is on at least one server, verified. Jobs run one at a
 * time, in the order started; progress is saved as it goes, so a node killed mid-copy resumes
 * where it stopped.
 */
export class CopyBack {
  private readonly file: string;
  private jobs: StoredJob[] = [];
  private readonly clock: Clock;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The sources' API: one connection per segment in flight and one for listings. */
  private readonly nodes: NodeClient;
  private readonly concurrency: number;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private closed = false;
  private stagingCleaned = false;
  private saving: Promise<void> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | undefined;
  /** The job being copied and its run's start, for the rate. */
  private current: { job: StoredJob; run: RunSample } | undefined;
  private bucket: Bucket | undefined;

  /** A new rate limit from the farm settings; applies at once, to the downloads under way too. */
  setMaxBytesPerSec(n: number): void {
    this.o.maxBytesPerSec = n;
  }

  constructor(private readonly o: CopyBackOptions) {
    this.file = join(o.dataDir, FILE);
    this.clock = o.clock ?? systemClock;
    this.sleep = o.sleep ?? ((ms, signal) => timer(ms, undefined, { signal }));
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? CONCURRENCY));
    this.nodes = new NodeClient({ apiToken: o.apiToken, http: o.http, maxSockets: this.concurrency + 1 });
    // Each segment in flight waits on the signal (its request, the rate limit, a retry's pause).
    setMaxListeners(this.concurrency * 3 + 10, this.abort.signal);
    mkdirSync(o.dataDir, { recursive: true });
    mkdirSync(o.stagingDir, { recursive: true });
    this.jobs = this.load();
    this.kick();
  }

  /**
   * Queues a job and saves it before answering, so an accepted job survives a restart. A job with
   * an id already known is not started again (whatever its state): its status is returned.
   */
  async start(job: CopyJob): Promise<CopyJobStatus> {
    if (this.closed) throw new VigilError('CLOSED', `copy-back is shut down; job ${job.id} not started`, 503);
    const known = this.jobs.find((j) => j.job.id === job.id);
    if (known) {
      // A source that restarted listens elsewhere (its API port is chosen at start): follow it.
      if (known.state === 'running' && /^https?:\/\//.test(job.source.url)) known.job.source.url = job.source.url;
      return this.statusOf(known);
    }
    checkJob(job);
    const j: StoredJob = {
      job: {
        id: job.id,
        camera: job.camera,
        stream: job.stream,
        source: { server: job.source.server, url: job.source.url },
        fromMs: job.fromMs,
        toMs: job.toMs,
      },
      state: 'running',
      segments: 0,
      segmentsDone: 0,
      bytes: 0,
      bytesDone: 0,
      counted: false,
      cursorMs: job.fromMs,
      rate: 0,
    };
    this.jobs.push(j);
    await this.save();
    this.o.log.info(
      {
        job: job.id,
        camera: job.camera,
        stream: job.stream,
        source: job.source.server,
        fromMs: job.fromMs,
        toMs: job.toMs,
      },
      'copy-back job queued',
    );
    this.kick();
    return this.statusOf(j);
  }

  /** Every job known: running (or queued) ones and the latest finished ones, in start order. */
  status(): CopyJobStatus[] {
    return this.jobs.map((j) => this.statusOf(j));
  }

  /**
   * Stops copying: the segments in flight are dropped (their part files removed) unless already
   * being stored; the job stays running and resumes with the next CopyBack on this data dir.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort(new Error('copy-back closing'));
    await this.running;
    clearTimeout(this.saveTimer);
    await this.saving;
    this.nodes.close();
  }

  private statusOf(j: StoredJob): CopyJobStatus {
    const run = this.current?.job === j ? this.current.run : undefined;
    const { job } = j;
    return {
      id: job.id,
      camera: job.camera,
      stream: job.stream,
      source: { ...job.source },
      fromMs: job.fromMs,
      toMs: job.toMs,
      state: j.state,
      segments: j.segments,
      segmentsDone: j.segmentsDone,
      bytes: j.bytes,
      bytesDone: j.bytesDone,
      ...progress(j, run, this.clock.now(), j.rate),
      ...(j.error !== undefined && { error: j.error }),
    };
  }

  private kick(): void {
    if (this.running || this.closed) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A job started while the loop was winding down would otherwise wait for the next start().
      if (!this.closed && this.jobs.some((j) => j.state === 'running')) this.kick();
    });
  }

  private async loop(): Promise<void> {
    if (!this.stagingCleaned) {
      this.stagingCleaned = true;
      await this.cleanStaging();
    }
    for (;;) {
      const next = this.jobs.find((j) => j.state === 'running');
      if (!next || this.closed) return;
      await this.runJob(next);
    }
  }

  private async runJob(j: StoredJob): Promise<void> {
    const { job } = j;
    const signal = this.abort.signal;
    this.current = { job: j, run: { startedMs: this.clock.now(), bytesDoneAtStart: j.bytesDone } };
    const log = this.o.log.child({ job: job.id, camera: job.camera, stream: job.stream, source: job.source.server });
    log.info({ segmentsDone: j.segmentsDone, resumedAtMs: j.cursorMs }, 'copy-back job running');
    try {
      if (!j.counted) {
        Object.assign(j, await this.count(job, signal), { counted: true });
        await this.save();
      }
      const chunkMs = Math.min(DAY_MS, Math.max(1000, this.o.listChunkMs ?? 15 * 60_000));
      for (let c = nextChunk(j.cursorMs, job.toMs, chunkMs); c; c = nextChunk(c.toMs, job.toMs, chunkMs)) {
        const chunk = c;
        const listed = await this.request(job, 'list', signal, async () => {
          const q = { camera: job.camera, from: chunk.fromMs, to: chunk.toMs, stream: job.stream };
          return this.nodes.copyList(job.source.url, q, signal);
        });
        await eachLimited(toCopy(listed, chunk, job.fromMs), this.concurrency, async (seg) => {
          const bytes = await this.copyOne(j, seg, log, signal);
          if (bytes !== undefined) Object.assign(j, afterSegment(j, bytes));
          this.saveSoon(log);
        });
        j.cursorMs = chunk.toMs;
        this.saveSoon(log);
      }
      // The first count was an estimate (the source may have lost or gained files since): the end tells.
      Object.assign(j, { state: 'done', segments: j.segmentsDone, bytes: j.bytesDone, cursorMs: job.toMs });
      log.info(
        { segments: j.segmentsDone, bytes: j.bytesDone },
        'copy-back job done: the footage is home and released at the source',
      );
    } catch (err) {
      if (signal.aborted) {
        log.info({ segmentsDone: j.segmentsDone }, 'copy-back job interrupted; it resumes at the next start');
        return;
      }
      j.state = 'failed';
      j.error = `copy-back of ${job.camera} from ${job.source.server}: ${err instanceof Error ? err.message : String(err)}`;
      log.error({ err: j.error }, 'copy-back job failed');
    } finally {
      j.rate = progress(j, this.current.run, this.clock.now()).rateBytesPerSec;
      this.current = undefined;
      if (j.state !== 'running') this.prune();
      await this.save().catch((err) => log.error({ err }, 'cannot save copy-back progress'));
    }
  }

  /** The source's segments in the job's range, from its plain listing, for the progress totals. */
  private async count(job: CopyJob, signal: AbortSignal): Promise<Pick<Counters, 'segments' | 'bytes'>> {
    const seen = new Map<number, number>();
    for (let c = nextChunk(job.fromMs, job.toMs, DAY_MS); c; c = nextChunk(c.toMs, job.toMs, DAY_MS)) {
      const q = { camera: job.camera, from: c.fromMs, to: c.toMs, stream: job.stream };
      const segments = await this.request(job, 'count', signal, () => this.nodes.segments(job.source.url, q, signal));
      for (const s of segments) seen.set(s.id, s.bytes);
    }
    return { segments: seen.size, bytes: [...seen.values()].reduce((a, b) => a + b, 0) };
  }

  /**
   * Brings one segment home and releases it at the source; returns its size, or undefined when the
   * source no longer has it (retention there deleted it since the listing).
   */
  private async copyOne(
    j: StoredJob,
    s: NodeCopySegment,
    log: Logger,
    signal: AbortSignal,
  ): Promise<number | undefined> {
    const { job } = j;
    const name = `segment ${s.id} (${job.camera} stream ${job.stream}, ${new Date(s.startMs).toISOString()})`;
    const staged: StagedSegment = {
      cameraId: job.camera,
      stream: job.stream,
      startMs: s.startMs,
      endMs: s.endMs,
      bytes: s.bytes,
      recordedBy: job.source.server,
    };
    // Stored here before a crash and not released yet: its own checksum is what the source must match.
    const local = await this.o.locate?.(staged);
    const home = local ? await durableCopy(local) : await this.fetchAndStore(job, s, staged, name, log, signal);
    if (home === 'gone') return undefined;
    // Storing is not interruptible; release is: a close here leaves the segment stored, found again by locate.
    signal.throwIfAborted();
    await this.request(job, name, signal, () => this.release(job, s, home.sha256, name, log, signal));
    return home.bytes;
  }

  /** Downloads a segment until what arrived matches the checksum the source sent, then stores it durably. */
  private async fetchAndStore(
    job: CopyJob,
    s: NodeCopySegment,
    staged: StagedSegment,
    name: string,
    log: Logger,
    signal: AbortSignal,
  ): Promise<HomeCopy | 'gone'> {
    const part = join(
      this.o.stagingDir,
      `${PART_PREFIX}${createHash('sha256').update(job.id).digest('hex').slice(0, 16)}-${s.id}.part`,
    );
    try {
      for (let attempt = 1; ; attempt++) {
        const got = await this.request(job, name, signal, () => this.download(job, s, part, signal));
        if (got === 'gone') {
          log.warn({ id: s.id }, `${name} is gone from the source since its listing; skipped`);
          return 'gone';
        }
        if (got.sha256 === got.sent) return await this.store(part, { ...staged, bytes: got.bytes }, got, name);
        const what = `received ${got.bytes} bytes with sha256 ${got.sha256}, the source sent sha256 ${got.sent}`;
        if (attempt > HASH_RETRIES)
          throw new VigilError(
            'CHECKSUM_MISMATCH',
            `${name}: ${what}, in ${attempt} attempts; not stored, not released`,
            502,
          );
        log.warn({ id: s.id, attempt }, `${name}: ${what}; fetching it again`);
      }
    } finally {
      await rm(part, { force: true });
    }
  }

  /** Commits a verified download, on disk (fsync) before it counts; returns the copy held here. */
  private async store(part: string, staged: StagedSegment, got: HomeCopy, name: string): Promise<HomeCopy> {
    try {
      await this.o.sink.commit(part, staged, { durable: true });
      return { sha256: got.sha256, bytes: got.bytes };
    } catch (err) {
      if (!(err instanceof VigilError && err.code === 'SEGMENT_EXISTS'))
        throw new Error(`${name}: storing it failed: ${(err as Error).message}`);
      // Indexed here already (stored before a crash the locate port could not see, or without one):
      // the release must match that copy, not the download.
      const existing = await this.o.locate?.(staged);
      if (!existing)
        throw new Error(
          `${name}: a segment with its name is stored here already and cannot be read to verify it; not released`,
        );
      return durableCopy(existing);
    }
  }

  /** Downloads a segment into `part`, hashing and rate-limiting as it comes; `sent` is the source's checksum (trailer). */
  private async download(
    job: CopyJob,
    s: NodeCopySegment,
    part: string,
    signal: AbortSignal,
  ): Promise<(HomeCopy & { sent: string }) | 'gone'> {
    let res: NodeResponse;
    try {
      res = await this.nodes.segment(job.source.url, s.id, {
        bare: true,
        signal,
        headers: { 'want-repr-digest': 'sha-256=10' },
      });
    } catch (err) {
      if (err instanceof NodeHttpError && err.status === 404) return 'gone';
      throw err;
    }
    let got: HomeCopy;
    try {
      got = await this.receive(res.body, part, signal);
    } catch (err) {
      // A body left unread (the part file could not be opened, say) would hold its connection until the idle timeout.
      res.body.destroy();
      if (signal.aborted) throw err;
      throw new PassingError(`GET segment ${s.id} at ${job.source.server}: the download broke off: ${errText(err)}`);
    }
    const sent = sha256OfReprDigest(res.trailers()['repr-digest']);
    if (!sent)
      throw new Error(
        `GET segment ${s.id} at ${job.source.server}: no sha-256 Repr-Digest trailer came with it (a source older than this copy-back?)`,
      );
    return { ...got, sent };
  }

  /** Writes a body to `part` as it comes, hashing it and pacing it; network reads are written in batches, not one by one. */
  private async receive(body: Readable, part: string, signal: AbortSignal): Promise<HomeCopy> {
    const hash = createHash('sha256');
    let bytes = 0;
    const fh = await open(part, 'w');
    try {
      let batch: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (this.o.maxBytesPerSec) await this.pace(this.o.maxBytesPerSec, chunk.length, signal);
        hash.update(chunk);
        bytes += chunk.length;
        batch.push(chunk);
        if (batch.length >= WRITE_BATCH) batch = await writeAll(fh, batch);
      }
      await writeAll(fh, batch);
    } finally {
      await fh.close();
    }
    return { sha256: hash.digest('hex'), bytes };
  }

  /** Waits until the token bucket, shared by all downloads, lets `bytes` more through at `rate`. */
  private async pace(rate: number, bytes: number, signal: AbortSignal): Promise<void> {
    // A tenth of a second of data may pass at once (at least 64 KiB, so small rates still move whole reads).
    const burst = Math.max(64 * 1024, rate / 10);
    const t = take(this.bucket ?? { tokens: burst, atMs: this.clock.now() }, bytes, this.clock.now(), rate, burst);
    this.bucket = t.bucket;
    if (t.waitMs > 0) await this.sleep(t.waitMs, signal);
  }

  /**
   * Has the source delete its copy, which it does only if it has the checksum of the copy held here.
   * It refuses when its copy differs: changed since it was sent, or, for a copy found stored here,
   * another recording of the same instant. Then both are kept (retention removes the source's in time).
   */
  private async release(
    job: CopyJob,
    s: NodeCopySegment,
    sha256: string,
    name: string,
    log: Logger,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await this.nodes.release(job.source.url, s.id, sha256, signal);
    } catch (err) {
      if (!(err instanceof NodeHttpError) || (err.status !== 404 && err.status !== 409)) throw err;
      if (err.status === 404)
        // The row is there but no file: nothing left at the source to delete. The verified copy is home.
        log.warn({ id: s.id, error: err.detail }, `${name}: the source has no file left to release`);
      else
        log.warn(
          { id: s.id, error: err.message },
          `${name}: the source's copy differs from the one stored here; both are kept, the source's is not released`,
        );
    }
  }

  /** Runs `fn`, again after a growing wait when it fails for a passing reason (network, 5xx), up to REQUEST_ATTEMPTS times. */
  private async request<T>(job: CopyJob, what: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (signal.aborted || !passing(err) || attempt >= REQUEST_ATTEMPTS) throw err;
        const waitMs = (this.o.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
        this.o.log.warn(
          { job: job.id, err: errText(err), attempt, waitMs },
          `copy-back ${what}: request failed; trying again`,
        );
        await this.sleep(waitMs, signal);
      }
    }
  }

  /** Part files a killed node left behind: never complete, so never worth keeping. */
  private async cleanStaging(): Promise<void> {
    try {
      for (const f of await readdir(this.o.stagingDir)) {
        if (f.startsWith(PART_PREFIX) && f.endsWith('.part')) await rm(join(this.o.stagingDir, f), { force: true });
      }
    } catch (err) {
      this.o.log.warn({ err, dir: this.o.stagingDir }, 'cannot clear copy-back part files');
    }
  }

  private load(): StoredJob[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`cannot read copy-back jobs ${this.file}: ${errText(err)}`);
    }
    try {
      const data = JSON.parse(text) as { version: number; jobs: StoredJob[] };
      if (data.version !== 1 || !Array.isArray(data.jobs)) throw new Error(`unknown format version ${data.version}`);
      return data.jobs;
    } catch (err) {
      // Kept aside, not deleted: an operator can still see which jobs were under way.
      const aside = `${this.file}.bad-${this.clock.now()}`;
      renameSync(this.file, aside);
      this.o.log.error(
        { err: errText(err), file: aside },
        'copy-back jobs file unreadable; set aside, starting with no jobs',
      );
      return [];
    }
  }

  /** Saves within SAVE_EVERY_MS, once for all the changes made meanwhile. */
  private saveSoon(log: Logger): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.save().catch((err) => log.error({ err }, 'cannot save copy-back progress'));
    }, SAVE_EVERY_MS);
  }

  /** Writes the jobs (temp file, then rename, so a crash leaves the old or the new file, whole); saves run in call order. */
  private save(): Promise<void> {
    clearTimeout(this.saveTimer); // this save takes the pending changes too
    this.saveTimer = undefined;
    const text = JSON.stringify({ version: 1, jobs: this.jobs });
    const tmp = `${this.file}.tmp`;
    const done = this.saving.then(async () => {
      await writeFile(tmp, text);
      await rename(tmp, this.file);
      try {
        this.o.onChange?.();
      } catch (err) {
        this.o.log.error({ err }, 'copy-back onChange callback failed');
      }
    });
    this.saving = done.catch(() => {});
    return done;
  }

  private prune(): void {
    const finished = this.jobs.filter((j) => j.state !== 'running');
    const drop = new Set(finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)));
    if (drop.size) this.jobs = this.jobs.filter((j) => !drop.has(j));
  }
}

/** Writes `chunks` at the file's position; returns an empty batch. */
async function writeAll(fh: FileHandle, chunks: Buffer[]): Promise<Buffer[]> {
  const want = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await fh.writev(chunks);
  if (bytesWritten !== want) throw new Error(`short write: ${bytesWritten} of ${want} bytes`);
  return [];
}

/**
 * A copy of a segment stored here (by an earlier run, before a crash): its checksum, and made
 * durable first, since the source's copy may be released on the strength of it.
 */
async function durableCopy(file: string): Promise<HomeCopy> {
  const copy = await sha256File(file);
  await nodeStorageFs.sync(file);
  await nodeStorageFs.sync(dirname(file));
  return copy;
}

/**
 * The `locate` port over a node's index: the file of the segment the sink would name from these
 * times (the path StorageSink gives it with this node's id), read from the first storage path
 * holding it, or undefined.
 */
export function indexLocator(o: {
  index: LocalIndex;
  nodeId: string;
  roots: (seg: IndexedSegment) => string[];
}): (seg: StagedSegment) => Promise<string | undefined> {
  return async (seg) => {
    const row = o.index.byPath(
      segmentRelPath(seg.cameraId, seg.startMs, writerTag(o.nodeId, seg.recordedBy), 'ts', seg.stream),
    );
    if (!row) return undefined;
    for (const root of o.roots(row)) {
      const file = await resolveInside(root, row.path);
      if (file) return file;
    }
    return undefined;
  };
}

function checkJob(job: CopyJob): void {
  const bad = (why: string) => new VigilError('BAD_REQUEST', `copy job ${JSON.stringify(job.id)}: ${why}`);
  if (typeof job.id !== 'string' || job.id === '' || job.id.length > 200) throw bad('id must be 1 to 200 characters');
  try {
    streamFolder(job.camera, job.stream); // the camera and stream must make a storage folder name
  } catch (err) {
    throw bad(errText(err));
  }
  if (!Number.isSafeInteger(job.fromMs) || !Number.isSafeInteger(job.toMs) || job.fromMs < 0 || job.toMs <= job.fromMs)
    throw bad(`range ${job.fromMs}–${job.toMs} is not from < to`);
  if (typeof job.source?.server !== 'string' || job.source.server === '') throw bad('source server missing');
  let url: URL;
  try {
    url = new URL(job.source.url);
  } catch {
    throw bad(`source url ${JSON.stringify(job.source.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`source url ${job.source.url} is not http(s)`);
}
