import { setMaxListeners } from 'node:events';
import { readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as timer } from 'node:timers/promises';
import { systemClock, type Clock } from '../lib/clock.ts';
import { eachLimited } from '../lib/each-limited.ts';
import { VigilError, errText } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { streamFolder } from '../storage/layout.ts';
import type { SegmentSink, StagedSegment } from '../storage/segment-sink.ts';
import { afterSegment, nextChunk, progress, toCopy, type Counters, type RunSample } from './copy-progress.ts';
import type { CopyJob, CopyJobStatus } from '../protocol/copy-job.ts';
import type { SendRequest } from '../node-client/keep-alive-http.ts';
import { NodeClient } from '../node-client/node-client.ts';
import type { ClientTls } from '../lib/http/tls.ts';
import { retrying, type Retry } from './copy-retry.ts';
import { SegmentTransfer } from './copy-transfer.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../lib/private-dir.ts';

// The locate port recording nodes and benches give a CopyBack.
export { indexLocator } from './index-locator.ts';

/** Settings and ports of a CopyBack. */
export interface CopyBackOptions {
  /** Where the job file (copy-back.json) lives. */
  dataDir: string;
  /** Where downloads are written (as `copyback-*.part`) before the sink takes them: not the recorders' staging. */
  stagingDir: string;
  sink: SegmentSink;
  /**
   * This server's certificate and the farm CA; the source must be a server (farmClientTls). The
   * certificate is also how the source knows the caller is the job's home (it releases only then).
   */
  tls?: ClientTls;
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
  /** How requests reach the source (default: node:https with keep-alive connections). */
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

const FILE = 'copy-back.json';
const CONCURRENCY = 4;
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
  private readonly transfer: SegmentTransfer;
  private readonly request: Retry;

  /** A new rate limit from the farm settings; applies at once, to the downloads under way too. */
  setMaxBytesPerSec(n: number): void {
    this.o.maxBytesPerSec = n;
  }

  constructor(private readonly o: CopyBackOptions) {
    this.file = join(o.dataDir, FILE);
    this.clock = o.clock ?? systemClock;
    this.sleep = o.sleep ?? ((ms, signal) => timer(ms, undefined, { signal }));
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? CONCURRENCY));
    this.nodes = new NodeClient({ tls: o.tls, http: o.http, maxSockets: this.concurrency + 1 });
    this.request = retrying({
      attempts: REQUEST_ATTEMPTS,
      delayMs: o.retryDelayMs ?? 1000,
      sleep: this.sleep,
      log: o.log,
    });
    this.transfer = new SegmentTransfer({
      nodes: this.nodes,
      sink: o.sink,
      stagingDir: o.stagingDir,
      locate: o.locate,
      clock: this.clock,
      sleep: this.sleep,
      maxBytesPerSec: () => this.o.maxBytesPerSec ?? 0,
      retry: this.request,
      log: o.log,
    });
    // Each segment in flight waits on the signal (its request, the rate limit, a retry's pause).
    setMaxListeners(this.concurrency * 3 + 10, this.abort.signal);
    // Copies are footage: staged where only this user reaches (a folder planted there is refused).
    ensurePrivateDir(o.dataDir, { followRoot: true });
    ensurePrivateDir(o.stagingDir);
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
      await this.transfer.cleanStaging();
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
          const bytes = await this.transfer.copyOne(job, seg, log, signal);
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
      await writeFile(tmp, text, { mode: PRIVATE_FILE_MODE });
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
