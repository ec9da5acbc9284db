import { errText } from '../lib/errors.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { VigilError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { SegmentPlacement } from './segment-placement.ts';
import { nodeStorageFs, storageFile, type DiskSpace, type StorageFs } from './storage-fs.ts';

// Where src/node/ has always found the real file system's operations.
export { nodeStorageFs } from './storage-fs.ts';

/** How a commit places a segment. */
export interface CommitOptions {
  /**
   * Return only once every copy written and its name are on disk (fsync of the file and of its
   * folders), so a power cut cannot take it back: for a copy whose source is deleted on the strength of it.
   */
  durable?: boolean;
}

/** One storage path's health, for status reports. */
export interface StoragePathStatus {
  path: string;
  healthy: boolean;
  /** The path marked * (read from). */
  read: boolean;
  failedSince?: number;
  lastError?: string;
  /** From the latest probe. */
  space?: DiskSpace;
}

/** All of a StoragePaths' health, for status reports. */
export interface StoragePathsStatus {
  availability: 'failover' | 'redundant';
  allFailed: boolean;
  paths: StoragePathStatus[];
}

/** Settings of a StoragePaths; the first four fields are a StoragePolicy's. */
export interface StoragePathsOptions {
  paths: string[];
  readPath?: string;
  availability: 'failover' | 'redundant';
  log: Logger;
  /** How often every path is probed, so failed ones come back when writable again (default 10000). */
  recheckMs?: number;
  fs?: StorageFs;
  clock?: Clock;
  /** Called after any path's health changes; defaults to a no-op. */
  onChange?: (status: StoragePathsStatus) => void;
}

interface PathState {
  healthy: boolean;
  failedSince?: number;
  lastError?: string;
  space?: DiskSpace;
}

/**
 * A recording server's storage paths and where each segment goes: in failover mode to the first
 * healthy path, in redundant mode to every healthy path. A write that fails marks its path failed;
 * a periodic probe brings it back once it takes writes again. When every path has failed, the node
 * reports it to the master: the "storage-failed" failover trigger.
 */
export class StoragePaths {
  private readonly fs: StorageFs;
  private readonly clock: Clock;
  private readonly state = new Map<string, PathState>();
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closed = false;
  private readonly placement: SegmentPlacement;

  constructor(private readonly o: StoragePathsOptions) {
    if (o.paths.length === 0) throw new Error('StoragePaths needs at least one path');
    if (o.readPath !== undefined && !o.paths.includes(o.readPath))
      throw new Error(`read path ${o.readPath} is not one of the paths`);
    this.fs = o.fs ?? nodeStorageFs;
    this.placement = new SegmentPlacement(this.fs);
    this.clock = o.clock ?? systemClock;
    // Healthy until shown otherwise: start() probes before the first segment needs a target.
    for (const p of o.paths) this.state.set(p, { healthy: true });
  }

  /** Probes every path once, then again every recheckMs. */
  async start(): Promise<void> {
    if (this.timer || this.closed) return;
    await this.recheck();
    if (this.closed) return;
    this.timer = setInterval(() => void this.recheck(), this.o.recheckMs ?? 10_000);
  }

  /** Stops the periodic probe; waits for one in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.probing;
  }

  /** Where the next segment goes: the first healthy path (failover) or every healthy path (redundant). */
  writeTargets(): string[] {
    const healthy = this.healthy();
    return this.o.availability === 'failover' ? healthy.slice(0, 1) : healthy;
  }

  /** The path to read from: the * path while it is healthy, else the first healthy path. */
  readPath(): string | undefined {
    if (this.o.readPath !== undefined && this.state.get(this.o.readPath)!.healthy) return this.o.readPath;
    return this.healthy()[0];
  }

  /** Whether no path takes writes: the node reports this to the master ("all storage failed"). */
  allFailed(): boolean {
    return this.healthy().length === 0;
  }

  /** Takes a path out of service after a failed write; the periodic probe brings it back. */
  markFailed(path: string, err: unknown): void {
    const s = this.state.get(path);
    if (!s) return;
    s.lastError = errText(err);
    if (!s.healthy) return;
    s.healthy = false;
    s.failedSince = this.clock.now();
    this.o.log.warn({ path, err: s.lastError, allFailed: this.allFailed() }, 'storage path failed');
    this.changed();
  }

  /** Probes every path now (write a probe file, read the free space); a path that passes is healthy again. */
  recheck(): Promise<void> {
    this.probing ??= Promise.all(this.o.paths.map((p) => this.probe(p))).then(
      () => {
        this.probing = undefined;
      },
      () => {
        this.probing = undefined;
      },
    );
    return this.probing;
  }

  /**
   * Puts a validated staged segment into storage at `<path>/<relPath>` on each write target and
   * removes the staged file. Files appear under their final name only when complete (rename, or
   * copy to `<name>.part` then rename). A failing path is marked failed and, in failover mode, the
   * next is tried; paths already marked failed are tried last, since one may be back before its
   * probe says so. Throws VigilError 'SEGMENT_EXISTS' (nothing written) if a healthy path already
   * has that name, and 'STORAGE_ALL_FAILED' (staged file left in place) when no path took it.
   * With `durable`, every copy is on disk when it returns.
   */
  async commit(staged: string, relPath: string, o: CommitOptions = {}): Promise<{ written: string[] }> {
    for (const p of this.o.paths) storageFile(p, relPath); // refuse a bad name before touching anything
    if (!(await this.fs.exists(staged)))
      throw new VigilError('SEGMENT_MISSING', `staged segment ${staged} is missing`, 500);
    const healthy = this.healthy();
    for (const p of healthy) {
      if (await this.fs.exists(storageFile(p, relPath))) {
        throw new VigilError('SEGMENT_EXISTS', `${storageFile(p, relPath)} exists already; not overwritten`, 409);
      }
    }
    const errors: string[] = [];
    const durable = o.durable ?? false;
    let written = await this.writeTo(healthy, staged, relPath, durable, errors);
    if (!written.length)
      written = await this.writeTo(
        this.o.paths.filter((p) => !healthy.includes(p)),
        staged,
        relPath,
        durable,
        errors,
      );
    if (!written.length) {
      throw new VigilError(
        'STORAGE_ALL_FAILED',
        `no storage path took ${relPath}: ${errors.join('; ') || 'no path'}`,
        503,
      );
    }
    // Redundant mode whose final move failed: the copies are placed, so the staged file has done its job.
    await this.fs.remove(staged).catch(() => {});
    return { written };
  }

  /** Where a stored segment is found: the read path first, then the others; undefined if on none. */
  async locate(relPath: string): Promise<string | undefined> {
    const first = this.readPath();
    const order = first === undefined ? this.o.paths : [first, ...this.o.paths.filter((p) => p !== first)];
    for (const p of order) {
      const file = storageFile(p, relPath);
      if (await this.fs.exists(file)) return file;
    }
    return undefined;
  }

  /** Every path's health. */
  status(): StoragePathsStatus {
    return {
      availability: this.o.availability,
      allFailed: this.allFailed(),
      paths: this.o.paths.map((path) => {
        const { healthy, failedSince, lastError, space } = this.state.get(path)!;
        return { path, healthy, read: path === this.o.readPath, failedSince, lastError, space };
      }),
    };
  }

  /**
   * Failover: the first of `paths` that takes the segment. Redundant: a copy on all but the last and
   * a move to the last (a move is cheaper and the staged file is not needed after it).
   */
  private async writeTo(
    paths: string[],
    staged: string,
    relPath: string,
    durable: boolean,
    errors: string[],
  ): Promise<string[]> {
    const written: string[] = [];
    for (const [i, p] of paths.entries()) {
      const move = this.o.availability === 'failover' || i === paths.length - 1;
      try {
        await this.placement.place(staged, p, storageFile(p, relPath), move, durable);
        written.push(p);
        this.markHealthy(p);
        if (this.o.availability === 'failover') break;
      } catch (err) {
        errors.push(`${p}: ${errText(err)}`);
        this.markFailed(p, err);
      }
    }
    return written;
  }

  private async probe(path: string): Promise<void> {
    const s = this.state.get(path)!;
    try {
      await this.fs.writeProbe(path);
      s.space = await this.fs.statfs(path);
    } catch (err) {
      this.markFailed(path, err);
      return;
    }
    this.markHealthy(path);
  }

  private markHealthy(path: string): void {
    const s = this.state.get(path)!;
    if (s.healthy) return;
    this.o.log.info(
      { path, failedForMs: this.clock.now() - (s.failedSince ?? this.clock.now()) },
      'storage path back in service',
    );
    s.healthy = true;
    s.failedSince = undefined;
    this.changed();
  }

  private healthy(): string[] {
    return this.o.paths.filter((p) => this.state.get(p)!.healthy);
  }

  private changed(): void {
    try {
      this.o.onChange?.(this.status());
    } catch (err) {
      this.o.log.error({ err }, 'storage onChange callback failed');
    }
  }
}
