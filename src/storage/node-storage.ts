import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  allStoragePaths,
  cameraStoragePolicy,
  maxStorageDays,
  parseStorageSettings,
  type CameraStorageInput,
  type ParsedStorage,
  type StoragePolicy,
  type StorageSettingsInput,
} from './storage-settings.ts';
import type { Logger } from '../lib/log.ts';
import { reconcileIndex } from './reconcile.ts';
import type { IndexedSegment, LocalIndex } from './local-index.ts';
import { RetentionRunner, type RetentionStatus } from './retention-runner.ts';
import {
  StorageSink,
  storeInOrder,
  type SegmentSink,
  type StagedSegment,
  type WaitingSegment,
} from './segment-sink.ts';
import { recoverStaging } from './staging-recovery.ts';
import type { ChainedSegment, SegmentChain } from './segment-chain.ts';
import { StoragePaths, type CommitOptions, type StoragePathsStatus } from './storage-paths.ts';
import { ensurePrivateDir, PRIVATE_DIR_MODE } from '../lib/private-dir.ts';

/** Settings of a NodeStorage. */
export interface NodeStorageOptions {
  nodeId: string;
  dataDir: string;
  index: LocalIndex;
  log: Logger;
  /** How often failed paths are probed again (default 10000). */
  recheckMs?: number;
  /** Time between retention rounds (default 10000). */
  retentionIntervalMs?: number;
  /** Called when a path fails or comes back, so the master hears of it at once. */
  onChange?: () => void;
  /** At each start, hour folders this recent are checked for files missing from the index (default 2 h; all when the index is new). */
  reconcileSinceMs?: number;
  /** This server's signed chain of the segments it records (absent: none kept). */
  chain?: SegmentChain;
}

/** The storage part of a node's status report. */
export interface NodeStorageStatus extends StoragePathsStatus {
  /** Paths of cameras with their own storage, by camera. */
  cameras?: Record<string, StoragePathsStatus>;
  retention?: Pick<RetentionStatus, 'rounds' | 'deleted' | 'deletedBytes' | 'failedDeletes' | 'lastError'>;
  /** Why the latest storage settings were not applied, if they were not. */
  problems?: string[];
}

/**
 * A recording server's storage, as its assignment configures it: the server's storage paths (by
 * default `<dataDir>/storage`) and cameras' own paths, each a StoragePaths; the sink recorders
 * commit to; retention over every path; and, the first time, recovery of what a crash left in
 * staging and the index reconciled with each path's files. Staging lives in the data dir, apart
 * from the storage paths, so a storage path failing never stops ffmpeg from writing.
 */
export class NodeStorage implements SegmentSink {
  readonly stagingRoot: string;
  private readonly quarantineRoot: string;
  private readonly defaultPath: string;
  private key = '';
  /** Validated segments a stopped recorder left waiting for storage; stored when a path is back. */
  private readonly waiting: WaitingSegment[] = [];
  private storingWaiting = false;
  private server: StoragePaths | undefined;
  /** Every StoragePaths in use, by (paths, read path, mode): cameras sharing a path list share one. */
  private live = new Map<string, StoragePaths>();
  private cameraPaths = new Map<string, StoragePaths>();
  private retention: RetentionRunner | undefined;
  private readonly reconciled = new Set<string>();
  private recovered = false;
  private problems: string[] | undefined;
  private readonly sink: StorageSink;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: NodeStorageOptions) {
    this.stagingRoot = join(o.dataDir, 'staging');
    this.quarantineRoot = join(o.dataDir, 'quarantine');
    this.defaultPath = join(o.dataDir, 'storage');
    // ffmpeg writes here: a folder planted in its place (a link, another user's) is refused.
    ensurePrivateDir(this.stagingRoot);
    this.sink = new StorageSink({
      nodeId: o.nodeId,
      index: o.index,
      pathsFor: (id) => this.pathsFor(id),
      ...(o.chain && { chained: (id: number, seg: ChainedSegment) => this.chainLink(id, seg) }),
    });
  }

  /** Signs a stored segment's link; a failure costs the link, never the footage (the verifier names the unsigned segment). */
  private chainLink(id: number, seg: ChainedSegment): void {
    try {
      this.o.chain?.appendSegment(id, seg);
    } catch (err) {
      this.o.log.error({ err, camera: seg.camera, segment: id }, 'segment chain: link not signed');
    }
  }

  /** Records retention's deletions in the chain (its prune mark). */
  private chainPrune(ids: number[]): void {
    try {
      this.o.chain?.recordRetention(ids);
    } catch (err) {
      this.o.log.error({ err, segments: ids.length }, 'segment chain: retention not recorded');
    }
  }

  /** Whether configure() has set up storage: recorders must not start before. */
  get ready(): boolean {
    return this.server !== undefined;
  }

  /**
   * Applies storage settings from an assignment (none: `<dataDir>/storage`, created if missing;
   * configured paths are never created, so an unmounted disk fails instead of filling the system
   * disk). Settings that do not parse keep the previous ones and are reported in status().
   * Serialised; the first call also recovers staging, and each new path is reconciled with the index.
   */
  configure(
    server: StorageSettingsInput | undefined,
    cameras: { id: string; storage?: CameraStorageInput }[],
    otherDays: Record<string, CameraStorageInput['maxStorageDays']> = {},
  ): Promise<void> {
    const run = this.queue.then(() => this.doConfigure(server, cameras, otherDays));
    this.queue = run.catch((err) => this.o.log.error({ err }, 'storage configuration failed'));
    return run;
  }

  /**
   * Takes over segments a recorder that stopped had waiting for storage (no path took them): they
   * are stored, in order, as soon as a path takes writes again.
   */
  adopt(items: WaitingSegment[]): void {
    this.waiting.push(...items);
    if (items.length)
      this.o.log.warn(
        { segments: items.length, waiting: this.waiting.length },
        'segments wait in staging for a storage path',
      );
    void this.storeWaiting();
  }

  private async storeWaiting(): Promise<void> {
    if (this.storingWaiting || !this.waiting.length || this.allFailed()) return;
    this.storingWaiting = true;
    try {
      const emptied = await storeInOrder(this.waiting, this, {
        stored: () => {},
        refused: ({ staged }, err) =>
          this.o.log.warn(
            { file: staged, err: err instanceof Error ? err.message : String(err) },
            'waiting segment not stored; left in staging',
          ),
      });
      if (emptied) this.o.log.info('the segments that waited for storage are stored');
    } finally {
      this.storingWaiting = false;
    }
  }

  async commit(staged: string, seg: StagedSegment, o?: CommitOptions): Promise<IndexedSegment> {
    try {
      return await this.sink.commit(staged, seg, o);
    } catch (err) {
      // A write failure may be a full disk: let retention look now rather than in 10 s.
      this.retention?.nudge();
      throw err;
    }
  }

  /**
   * The storage paths holding a segment's file, in reading order: the camera's read path (*) first
   * when it holds a copy. Rows from before storage paths have no copy recorded: the default path.
   */
  readOrder(seg: IndexedSegment): string[] {
    const paths = this.o.index.copies(seg.id);
    if (!paths.length) return [this.defaultPath];
    const read = this.cameraPaths.get(seg.cameraId)?.readPath() ?? this.server?.readPath();
    return read !== undefined && paths.includes(read) ? [read, ...paths.filter((p) => p !== read)] : paths;
  }

  /** Every storage path of this server (the default one, the server's, the cameras' own): where its files may lie. */
  storagePaths(): string[] {
    const all = [...this.live.values()].flatMap((p) => p.status().paths.map((x) => x.path));
    return [...new Set([this.defaultPath, ...all])];
  }

  /** Whether no path the server records to takes writes: the "all storage failed" report. */
  allFailed(): boolean {
    if (!this.server) return false;
    return [...this.live.values()].every((p) => p.allFailed());
  }

  status(): NodeStorageStatus | undefined {
    if (!this.server)
      return this.problems
        ? { availability: 'failover', allFailed: false, paths: [], problems: this.problems }
        : undefined;
    const cameras: Record<string, StoragePathsStatus> = {};
    for (const [id, p] of this.cameraPaths) if (p !== this.server) cameras[id] = p.status();
    const r = this.retention?.status();
    return {
      ...this.server.status(),
      allFailed: this.allFailed(),
      ...(Object.keys(cameras).length && { cameras }),
      ...(r && {
        retention: {
          rounds: r.rounds,
          deleted: r.deleted,
          deletedBytes: r.deletedBytes,
          failedDeletes: r.failedDeletes,
          lastError: r.lastError,
        },
      }),
      ...(this.problems && { problems: this.problems }),
    };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.retention?.close();
    await Promise.all([...this.live.values()].map((p) => p.close()));
  }

  private pathsFor(cameraId: string): StoragePaths {
    const p = this.cameraPaths.get(cameraId) ?? this.server;
    if (!p) throw new Error('storage is not configured yet');
    return p;
  }

  private async doConfigure(
    server: StorageSettingsInput | undefined,
    cameras: { id: string; storage?: CameraStorageInput }[],
    otherDays: Record<string, CameraStorageInput['maxStorageDays']>,
  ): Promise<void> {
    if (!server) mkdirSync(this.defaultPath, { recursive: true, mode: PRIVATE_DIR_MODE });
    let parsed: ParsedStorage;
    try {
      // Retention covers every camera with footage here, also those recorded elsewhere now: their
      // own max days come too (only days; their paths matter only where they record).
      const perCamera: Record<string, unknown> = {};
      for (const [id, days] of Object.entries(otherDays))
        if (days !== undefined) perCamera[id] = { maxStorageDays: days };
      for (const c of cameras) perCamera[c.id] = c.storage ?? {};
      parsed = parseStorageSettings(server ?? { paths: this.defaultPath }, perCamera);
    } catch (err) {
      this.problems = (err as { details?: string[] }).details ?? [String(err)];
      this.o.log.error({ problems: this.problems }, 'storage settings refused; the previous ones stay');
      return;
    }
    this.problems = undefined;
    const key = JSON.stringify(parsed);
    if (key === this.key) return;
    // One StoragePaths per distinct (paths, read path, mode), kept across configurations so a
    // path's health and probe timer survive an unrelated settings change.
    const live = new Map<string, StoragePaths>();
    const make = async (p: StoragePolicy): Promise<StoragePaths> => {
      const k = JSON.stringify([p.paths, p.readPath, p.availability]);
      let sp = live.get(k) ?? this.live.get(k);
      if (!sp) {
        sp = new StoragePaths({
          paths: p.paths,
          readPath: p.readPath,
          availability: p.availability,
          recheckMs: this.o.recheckMs,
          log: this.o.log.child({ part: 'storage' }),
          onChange: () => {
            this.o.onChange?.();
            void this.storeWaiting();
          },
        });
        await sp.start();
      }
      live.set(k, sp);
      return sp;
    };
    const paths = allStoragePaths(parsed);
    // A new path is reconciled with the index before it takes segments, so the rebuild and a
    // recorder's commit never race to index one file. One that fails is tried again next time.
    for (const path of paths) {
      if (this.reconciled.has(path)) continue;
      try {
        await reconcileIndex({
          path,
          nodeId: this.o.nodeId,
          index: this.o.index,
          log: this.o.log.child({ part: 'recovery' }),
          sinceMs: this.o.reconcileSinceMs ?? 0,
        });
        this.reconciled.add(path);
      } catch (err) {
        this.o.log.error(
          { err, path },
          'index reconcile failed for a storage path; tried again at the next configuration',
        );
      }
    }
    const serverPaths = await make(parsed.settings);
    const cameraPaths = new Map<string, StoragePaths>();
    for (const c of cameras) {
      const policy = cameraStoragePolicy(parsed, c.id);
      if (policy !== parsed.settings) cameraPaths.set(c.id, await make(policy));
    }
    const retired = [...this.live.values()].filter((sp) => ![...live.values()].includes(sp));
    this.server = serverPaths;
    this.cameraPaths = cameraPaths;
    this.live = live;
    await Promise.all(retired.map((sp) => sp.close()));
    this.o.log.info(
      { paths, availability: parsed.settings.availability, readPath: parsed.settings.readPath },
      'storage configured',
    );

    if (!this.recovered) {
      this.recovered = true;
      // Before 0.2 staging lived in the default storage path; what a crash left there is saved too.
      for (const stagingRoot of [join(this.defaultPath, '.staging'), this.stagingRoot]) {
        try {
          await recoverStaging({
            stagingRoot,
            quarantineRoot: this.quarantineRoot,
            sink: this,
            log: this.o.log.child({ part: 'recovery' }),
          });
        } catch (err) {
          this.o.log.error({ err, stagingRoot }, 'staging recovery failed; the files stay for the next start');
        }
      }
    }
    await this.retention?.close();
    const s = parsed.settings;
    this.retention = new RetentionRunner({
      index: this.o.index,
      paths,
      policy: {
        minFreeBytes: s.minFreeBytes,
        minFreePercent: s.minFreePercent,
        maxDays: (camera, stream) => maxStorageDays(parsed, camera, stream),
        keepMetadataLonger: s.keepMetadataLonger,
        metadataStorageDays: s.metadataStorageDays,
      },
      // Rows indexed before storage paths existed lie in the default path.
      legacyPath: paths.includes(this.defaultPath) ? this.defaultPath : undefined,
      intervalMs: this.o.retentionIntervalMs,
      log: this.o.log.child({ part: 'retention' }),
      ...(this.o.chain && { onDeleted: (ids: number[]) => this.chainPrune(ids) }),
    });
    this.retention.start();
    this.key = key;
  }
}
