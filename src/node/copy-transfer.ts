import { createHash } from 'node:crypto';
import { open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Clock } from '../lib/clock.ts';
import { VigilError, errText } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { NodeResponse } from '../node-client/keep-alive-http.ts';
import type { NodeClient } from '../node-client/node-client.ts';
import { NodeHttpError } from '../node-client/node-http-error.ts';
import type { CopyJob } from '../protocol/copy-job.ts';
import type { NodeCopySegment } from '../protocol/node-api.ts';
import type { SegmentSink, StagedSegment } from '../storage/segment-sink.ts';
import { nodeStorageFs } from '../storage/storage-paths.ts';
import { releaseAtSource } from './copy-release.ts';
import { PassingError, type Retry } from './copy-retry.ts';
import { take, type Bucket } from './copy-progress.ts';
import { sha256File, sha256OfReprDigest } from './file-digest.ts';
import { PRIVATE_FILE_MODE } from '../lib/private-dir.ts';

const PART_PREFIX = 'copyback-';
/** A segment whose download does not match the checksum the source sent is fetched this many more times. */
const HASH_RETRIES = 3;
/** Network reads (64 KiB at most) gathered into one write: a 1 MB segment is written in one system call. */
const WRITE_BATCH = 16;

/** A copy of a segment held here: its checksum and size. */
interface HomeCopy {
  sha256: string;
  bytes: number;
}

/** What a SegmentTransfer uses of its CopyBack. */
export interface TransferDeps {
  nodes: NodeClient;
  sink: SegmentSink;
  /** Where downloads are written (as `copyback-*.part`) before the sink takes them. */
  stagingDir: string;
  /** This node's stored file of a segment, if any (see CopyBackOptions.locate). */
  locate?: (seg: StagedSegment) => Promise<string | undefined>;
  clock: Clock;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The download rate cap now (it changes with the farm settings, downloads under way too); 0: none. */
  maxBytesPerSec: () => number;
  retry: Retry;
  log: Logger;
}

/**
 * The transfer of one segment of a copy-back job: downloaded from the source, hashed and paced as
 * it comes, checked against the checksum the source sent, stored durably through the sink, and
 * only then released at the source. One token bucket paces every download of the node.
 */
export class SegmentTransfer {
  private bucket: Bucket | undefined;

  constructor(private readonly d: TransferDeps) {}

  /**
   * Brings one segment home and releases it at the source; returns its size, or undefined when the
   * source no longer has it (retention there deleted it since the listing).
   */
  async copyOne(job: CopyJob, s: NodeCopySegment, log: Logger, signal: AbortSignal): Promise<number | undefined> {
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
    const local = await this.d.locate?.(staged);
    const home = local ? await durableCopy(local) : await this.fetchAndStore(job, s, staged, name, log, signal);
    if (home === 'gone') return undefined;
    // Storing is not interruptible; release is: a close here leaves the segment stored, found again by locate.
    signal.throwIfAborted();
    await this.d.retry(job, name, signal, () => releaseAtSource(this.d.nodes, job, s, home.sha256, name, log, signal));
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
      this.d.stagingDir,
      `${PART_PREFIX}${createHash('sha256').update(job.id).digest('hex').slice(0, 16)}-${s.id}.part`,
    );
    try {
      for (let attempt = 1; ; attempt++) {
        const got = await this.d.retry(job, name, signal, () => this.download(job, s, part, signal));
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
      await this.d.sink.commit(part, staged, { durable: true });
      return { sha256: got.sha256, bytes: got.bytes };
    } catch (err) {
      if (!(err instanceof VigilError && err.code === 'SEGMENT_EXISTS'))
        throw new Error(`${name}: storing it failed: ${(err as Error).message}`);
      // Indexed here already (stored before a crash the locate port could not see, or without one):
      // the release must match that copy, not the download.
      const existing = await this.d.locate?.(staged);
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
      res = await this.d.nodes.segment(job.source.url, s.id, {
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
    const fh = await open(part, 'w', PRIVATE_FILE_MODE);
    try {
      let batch: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const rate = this.d.maxBytesPerSec();
        if (rate) await this.pace(rate, chunk.length, signal);
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
    const t = take(this.bucket ?? { tokens: burst, atMs: this.d.clock.now() }, bytes, this.d.clock.now(), rate, burst);
    this.bucket = t.bucket;
    if (t.waitMs > 0) await this.d.sleep(t.waitMs, signal);
  }

  /** Part files a killed node left behind: never complete, so never worth keeping. */
  async cleanStaging(): Promise<void> {
    try {
      for (const f of await readdir(this.d.stagingDir)) {
        if (f.startsWith(PART_PREFIX) && f.endsWith('.part')) await rm(join(this.d.stagingDir, f), { force: true });
      }
    } catch (err) {
      this.d.log.warn({ err, dir: this.d.stagingDir }, 'cannot clear copy-back part files');
    }
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
