import { dirname } from 'node:path';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { LocalIndex, StoredCopy } from './local-index.ts';
import {
  DAY_MS,
  planRetention,
  requiredFreeBytes,
  type RetentionPath,
  type RetentionReason,
  type RetentionSegment,
} from './retention.ts';
import { nodeStorageFs, storageFile, type StorageFs } from './storage-fs.ts';

/** The retention settings a runner applies (a StoragePolicy's, plus the per-stream day limits). */
export interface RetentionPolicy {
  minFreeBytes: number;
  minFreePercent: number;
  /** Max storage days of a camera stream (0 = first stream); 0 = no limit. */
  maxDays: (cameraId: string, stream: number) => number;
  keepMetadataLonger: boolean;
  /** With keepMetadataLonger: days an index row outlives its video (counted from its end); 0 = no limit. */
  metadataStorageDays: number;
}

/** Settings of a RetentionRunner. */
export interface RetentionRunnerOptions {
  index: LocalIndex;
  /** Every storage path of the node (server and camera overrides). */
  paths: string[];
  policy: RetentionPolicy;
  log: Logger;
  /** Rows indexed without a storage path (by add()) are taken to lie here; see LocalIndex.adoptOrphans. */
  legacyPath?: string;
  /** Time between rounds (default 10000). */
  intervalMs?: number;
  /** Most copies read per storage path and per camera stream in one round; a fuller round is followed by another at once (default 2000). */
  batch?: number;
  fs?: Pick<StorageFs, 'statfs' | 'remove' | 'removeEmptyDir'>;
  clock?: Clock;
  /** Told the index ids of segments a round left with no copy on any path (the segment chain's prune mark). */
  onDeleted?: (segmentIds: number[]) => void;
}

/** What retention has done, for status reports and tests. */
export interface RetentionStatus {
  rounds: number;
  lastRoundAt?: number;
  lastRoundMs?: number;
  /** Copies deleted since start, by reason. */
  deleted: Record<RetentionReason, number>;
  deletedBytes: number;
  /** Deletes that failed (each is tried again next round). */
  failedDeletes: number;
  /** Rows kept after their video (keepMetadataLonger) and later purged. */
  metadataPurged: number;
  /** Each storage path at the last round, with the free space it must keep. */
  paths: (RetentionPath & { requiredFreeBytes: number })[];
  lastError?: string;
}

/** What one round did. */
export interface RoundResult {
  deleted: { id: number; storagePath: string; reason: RetentionReason; bytes: number }[];
  failed: number;
  /** A batch limit was hit: there may be more to delete, so another round follows at once. */
  more: boolean;
}

/** Only folders whose hour ended this long ago are removed when empty: recorders still write into recent ones. */
const PRUNE_AFTER_MS = 2 * 3_600_000;
/** The layout's `<camera>/<YYYY-MM-DD>/<HH>/<file>`: only such hour and day folders are ever removed. */
const LAYOUT_PATH = /^[^/]+\/\d{4}-\d{2}-\d{2}\/\d{2}\/[^/]+$/;

/**
 * Applies retention on a recording server: every intervalMs (and soon after nudge()) it reads each
 * storage path's free space and the candidate segments from the local index, lets planRetention
 * decide, deletes the files and then their index rows. A file already gone is fine; a delete that
 * fails keeps its row, so the next round tries it again.
 */
export class RetentionRunner {
  private readonly fs: Pick<StorageFs, 'statfs' | 'remove' | 'removeEmptyDir'>;
  private readonly clock: Clock;
  private readonly batch: number;
  private readonly st: RetentionStatus = {
    rounds: 0,
    deleted: { 'max-days': 0, 'low-space': 0 },
    deletedBytes: 0,
    failedDeletes: 0,
    metadataPurged: 0,
    paths: [],
  };
  private adoptedUpTo = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RoundResult> | undefined;
  private again = false;
  private started = false;
  private closed = false;

  constructor(private readonly o: RetentionRunnerOptions) {
    this.fs = o.fs ?? nodeStorageFs;
    this.clock = o.clock ?? systemClock;
    this.batch = o.batch ?? 2000;
  }

  /** Runs a round now and then every intervalMs. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.schedule(0);
  }

  /** Asks for a round soon, e.g. when a write found the disk (nearly) full. */
  nudge(): void {
    if (!this.started || this.closed) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops the rounds; waits for one in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** A snapshot of what retention has done. */
  status(): RetentionStatus {
    return structuredClone(this.st);
  }

  /** One round (rounds never overlap: a call during one waits for it and returns its result). */
  runOnce(): Promise<RoundResult> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.runOnce().then(
        (r) => this.afterRound(r.more),
        (err) => {
          this.st.lastError = err instanceof Error ? err.message : String(err);
          this.o.log.error({ err }, 'retention round failed');
          this.afterRound(false);
        },
      );
    }, ms);
  }

  private afterRound(more: boolean): void {
    if (this.closed) return;
    const soon = more || this.again;
    this.again = false;
    this.schedule(soon ? 0 : (this.o.intervalMs ?? 10_000));
  }

  private async round(): Promise<RoundResult> {
    const began = this.clock.now();
    const { index, policy } = this.o;
    if (this.o.legacyPath !== undefined)
      this.adoptedUpTo = index.adoptOrphans(this.o.legacyPath, this.adoptedUpTo).lastId;

    const measured: RetentionPath[] = [];
    for (const path of this.o.paths) {
      try {
        measured.push({ path, ...(await this.fs.statfs(path)) });
      } catch (err) {
        // A path that cannot even be stat'ed is the storage monitor's business; its footage waits.
        this.o.log.warn({ path, err }, 'retention skips a storage path it cannot stat');
      }
    }

    const { copies, more } = this.candidates(began, measured);
    const plan = planRetention({
      now: began,
      paths: measured,
      minFreeBytes: policy.minFreeBytes,
      minFreePercent: policy.minFreePercent,
      maxDaysByCameraStream: policy.maxDays,
      segments: copies,
    });

    const byKey = new Map(copies.map((c) => [`${c.id}@${c.storagePath}`, c]));
    const deleted: RoundResult['deleted'] = [];
    let failed = 0;
    for (const d of plan.delete) {
      const copy = byKey.get(`${d.id}@${d.storagePath}`)!;
      try {
        await this.fs.remove(storageFile(d.storagePath, copy.path));
        deleted.push({ ...d, bytes: copy.bytes });
      } catch (err) {
        failed++;
        this.o.log.warn(
          { err, storagePath: d.storagePath, path: copy.path, reason: d.reason },
          'retention could not delete a segment; trying again next round',
        );
      }
    }
    // Rows go after their files: a crash in between leaves rows whose files are gone, which the next
    // round deletes again harmlessly, never files on disk that the index has forgotten.
    const rows = index.removeCopies(
      deleted.map((d) => ({ id: d.id, root: d.storagePath })),
      policy.keepMetadataLonger,
    );
    if (this.o.onDeleted && deleted.length) {
      const gone = [...new Set(deleted.map((d) => d.id))].filter((id) => !index.copies(id).length);
      if (gone.length) this.o.onDeleted(gone);
    }
    const purged =
      policy.keepMetadataLonger && policy.metadataStorageDays > 0
        ? index.purgeMetadata(began - policy.metadataStorageDays * DAY_MS)
        : 0;
    await this.pruneFolders(deleted, byKey, began);

    for (const d of deleted) {
      this.st.deleted[d.reason]++;
      this.st.deletedBytes += d.bytes;
    }
    this.st.failedDeletes += failed;
    this.st.metadataPurged += purged;
    this.st.rounds++;
    this.st.lastRoundAt = began;
    this.st.lastRoundMs = this.clock.now() - began;
    this.st.paths = measured.map((d) => ({
      ...d,
      requiredFreeBytes: requiredFreeBytes(d, policy.minFreeBytes, policy.minFreePercent),
    }));
    this.st.lastError = undefined;
    if (deleted.length || failed) {
      const count = (r: RetentionReason) => deleted.filter((d) => d.reason === r).length;
      this.o.log.info(
        {
          maxDays: count('max-days'),
          lowSpace: count('low-space'),
          failed,
          rowsRemoved: rows.rowsRemoved,
          rowsKept: rows.rowsKept,
          purged,
          more,
        },
        'retention deleted footage',
      );
    }
    return { deleted, failed, more };
  }

  /**
   * The copies the planner must see: each camera stream's expired ones, and on each storage path below its
   * bound its oldest ones, enough to cover the shortfall. Reading a bounded prefix keeps a round
   * cheap on an index of millions of rows; `more` says a prefix was cut short.
   */
  private candidates(now: number, measured: RetentionPath[]): { copies: RetentionSegment[]; more: boolean } {
    const { index, policy } = this.o;
    const found = new Map<string, RetentionSegment>();
    const add = (cs: StoredCopy[]) => {
      for (const c of cs) found.set(`${c.id}@${c.storagePath}`, c);
    };
    let more = false;
    for (const { cameraId, stream } of index.cameraStreams()) {
      const days = policy.maxDays(cameraId, stream);
      if (days <= 0) continue;
      const expired = index.expiredCopies(cameraId, stream, now - days * DAY_MS, this.batch);
      add(expired);
      more ||= expired.length === this.batch;
    }
    for (const d of measured) {
      if (d.freeBytes >= requiredFreeBytes(d, policy.minFreeBytes, policy.minFreePercent)) continue;
      const oldest = index.oldestCopies(d.path, this.batch);
      add(oldest);
      // The planner deletes a prefix of these; if it would take them all, more may be needed.
      const shortfall = requiredFreeBytes(d, policy.minFreeBytes, policy.minFreePercent) - d.freeBytes;
      more ||= oldest.length === this.batch && oldest.reduce((n, c) => n + c.bytes, 0) < shortfall;
    }
    return { copies: [...found.values()], more };
  }

  /** Removes hour and day folders left empty, once they are old enough that no recorder still writes into them. */
  private async pruneFolders(
    deleted: RoundResult['deleted'],
    byKey: Map<string, RetentionSegment>,
    now: number,
  ): Promise<void> {
    const hours = new Set<string>();
    for (const d of deleted) {
      const c = byKey.get(`${d.id}@${d.storagePath}`)!;
      if (c.endMs < now - PRUNE_AFTER_MS && LAYOUT_PATH.test(c.path))
        hours.add(storageFile(d.storagePath, dirname(c.path)));
    }
    for (const hour of [...hours].sort()) {
      try {
        await this.fs.removeEmptyDir(hour);
        await this.fs.removeEmptyDir(dirname(hour)); // the day folder, once its last hour is gone
      } catch (err) {
        this.o.log.warn({ err, dir: hour }, 'retention could not remove an empty folder');
      }
    }
  }
}
