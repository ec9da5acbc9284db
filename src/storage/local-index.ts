import Database from 'better-sqlite3';
import type { RetentionSegment } from './retention.ts';
import { privateSqliteFile } from '../lib/private-dir.ts';
import { RemovalQueue } from './removal-queue.ts';

/** A segment to record in the index. */
export interface NewSegment {
  cameraId: string;
  startMs: number;
  endMs: number;
  /** Relative to the storage path, as segmentRelPath gives it. */
  path: string;
  bytes: number;
  /** The camera's stream: 0 the first (main), 1 the second (sub), … (default 0). */
  stream?: number;
  /** SHA-256 (hex) of the bytes as committed; absent for rows from before it was kept (and rebuilt rows not yet hashed). */
  sha256?: string;
}

/** A segment as the index holds it. */
export interface IndexedSegment extends NewSegment {
  id: number;
  stream: number;
  /** Whether the controller has been told about it. */
  reported: boolean;
}

interface Row {
  id: number;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  path: string;
  bytes: number;
  reported: number;
  stream: number;
  recorded_sha256: string | null;
}

const COLUMNS = 'id, camera_id, start_ms, end_ms, path, bytes, reported, stream, recorded_sha256';

/**
 * The recording node's own list of the segments on its disk. It is the source of truth for what
 * this node has recorded, kept locally so recording and playback go on while the controller is
 * unreachable; `reported` tracks what still has to be sent to it.
 */
export class LocalIndex {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly storage: StorageStatements;
  /** Segments gone from the index (any removal), still to be reported to the master. */
  readonly removals: RemovalQueue;

  constructor(file: string) {
    if (file !== ':memory:') privateSqliteFile(file);
    this.db = new Database(file);
    // WAL lets readers (playback, reporting) run while the recorders write; NORMAL sync can lose the
    // last transactions on power loss but never corrupts, and the segment files are still on disk.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS segments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        path TEXT NOT NULL UNIQUE,
        bytes INTEGER NOT NULL,
        reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1))
      );
      -- Time queries scan forward from the requested start, so recent windows stay cheap.
      CREATE INDEX IF NOT EXISTS segments_camera_end ON segments (camera_id, end_ms);
      -- Only the (few) unreported rows, in id order: the reporter's queue.
      CREATE INDEX IF NOT EXISTS segments_unreported ON segments (id) WHERE reported = 0;
    `);
    // Migrate first: the statements below read the columns it adds.
    this.storage = storageSchema(this.db);
    this.removals = new RemovalQueue(this.db);
    this.stmts = {
      unreported: this.db.prepare<[number], Row>(
        `SELECT ${COLUMNS} FROM segments WHERE reported = 0 ORDER BY id LIMIT ?`,
      ),
      markReported: this.db.prepare<[number]>('UPDATE segments SET reported = 1 WHERE id = ?'),
      list: this.db.prepare<[string, number, number], Row>(
        `SELECT ${COLUMNS} FROM segments WHERE camera_id = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms, id`,
      ),
      get: this.db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM segments WHERE id = ?`),
      byPath: this.db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM segments WHERE path = ?`),
      copies: this.db.prepare<[number], { root: string }>(
        'SELECT root FROM segment_copies WHERE segment_id = ? ORDER BY root',
      ),
    };
  }

  /** Records a segment; returns its id. Throws if the path is already indexed. */
  add(seg: NewSegment): number {
    return this.addStored(seg, []);
  }

  /** The segment indexed under this relative path, or undefined. */
  byPath(path: string): IndexedSegment | undefined {
    const r = this.stmts.byPath.get(path);
    return r && fromRow(r);
  }

  /** The storage paths holding a copy of a segment's file. */
  copies(id: number): string[] {
    return this.stmts.copies.all(id).map((r) => r.root);
  }

  /** Records that storage path `path` holds a copy of segment `id` (found there by a rebuild); no-op if known. */
  addCopy(id: number, path: string): void {
    const seg = this.get(id);
    if (seg) this.storage.addCopy.run(id, path, seg.startMs);
  }

  /** Up to `limit` segments not yet reported, oldest (first added) first. */
  unreported(limit: number): IndexedSegment[] {
    return this.stmts.unreported.all(limit).map(fromRow);
  }

  /** Marks segments as reported, all or none. Unknown ids are ignored. */
  markReported(ids: number[]): void {
    this.db.transaction((list: number[]) => {
      for (const id of list) this.stmts.markReported.run(id);
    })(ids);
  }

  /** The segment with this id, or undefined. */
  get(id: number): IndexedSegment | undefined {
    const r = this.stmts.get.get(id);
    return r && fromRow(r);
  }

  /** A camera's segments that overlap [fromMs, toMs), in time order. */
  list(cameraId: string, fromMs: number, toMs: number): IndexedSegment[] {
    return this.stmts.list.all(cameraId, fromMs, toMs).map(fromRow);
  }

  /**
   * Records a segment and the storage paths holding its file, in one transaction, so retention
   * never sees a stored segment without knowing where it lies; returns its id.
   */
  addStored(seg: NewSegment & { stream?: number }, paths: string[], o?: { durable?: boolean }): number {
    const add = this.db.transaction(() => {
      const { cameraId, startMs, endMs, path, bytes } = seg;
      const row = { cameraId, startMs, endMs, path, bytes, stream: seg.stream ?? 0, sha256: seg.sha256 ?? null };
      const id = Number(this.storage.addStream.run(row).lastInsertRowid);
      for (const p of paths) this.storage.addCopy.run(id, p, startMs);
      return id;
    });
    if (!o?.durable) return add();
    // WAL with synchronous NORMAL may lose the last commits to a power cut; a row another server
    // deletes its copy on the strength of must not be one of them: this commit syncs the WAL.
    this.db.pragma('synchronous = FULL');
    try {
      return add();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /**
   * Records storage path `path` as holding the file of every row indexed without a storage path (by add(): the
   * rebuild, and recorders from before storage paths) with an id above `afterId`. Returns how many
   * and the highest id seen, to pass as `afterId` next time so each call looks at new rows only.
   */
  adoptOrphans(path: string, afterId = 0): { adopted: number; lastId: number } {
    return this.db.transaction(() => {
      const adopted = this.storage.adopt.run(path, afterId).changes;
      const lastId = this.storage.maxId.get()?.id ?? afterId;
      return { adopted, lastId: Math.max(lastId, afterId) };
    })();
  }

  /** Up to `limit` segment copies on one storage path, oldest first: low-space retention's candidates. */
  oldestCopies(path: string, limit: number): StoredCopy[] {
    return this.storage.oldest.all(path, limit).map(fromCopyRow);
  }

  /** Up to `limit` copies of a camera stream's segments that ended at or before `endedBy`, oldest first. */
  expiredCopies(cameraId: string, stream: number, endedBy: number, limit: number): StoredCopy[] {
    return this.storage.expired.all(cameraId, stream, endedBy, limit).map(fromCopyRow);
  }

  /** Every (camera, stream) pair in the index; one index seek per pair, not a table scan. */
  cameraStreams(): { cameraId: string; stream: number }[] {
    const out: { cameraId: string; stream: number }[] = [];
    let next = this.storage.firstPair.get();
    while (next) {
      out.push({ cameraId: next.camera_id, stream: next.stream });
      next = this.storage.nextPair.get(next.camera_id, next.stream);
    }
    return out;
  }

  /**
   * Forgets copies whose files were deleted. A segment left with no copy is removed, or, with
   * `keepMetadata`, kept and marked video_deleted (reporting still sees it; playback must not).
   */
  removeCopies(
    copies: { id: number; root: string }[],
    keepMetadata: boolean,
  ): { rowsRemoved: number; rowsKept: number } {
    return this.db.transaction(() => {
      let rowsRemoved = 0;
      let rowsKept = 0;
      for (const { id, root } of copies) {
        if (this.storage.removeCopy.run(id, root).changes === 0) continue;
        if (this.storage.hasCopy.get(id)) continue;
        if (keepMetadata) rowsKept += this.storage.markVideoDeleted.run(id).changes;
        else rowsRemoved += this.storage.removeRow.run(id).changes;
      }
      return { rowsRemoved, rowsKept };
    })();
  }

  /**
   * Forgets a segment whose files this node has deleted because another server now holds the
   * footage (copy-back release): its copies and its row go, so it is neither listed, played nor
   * reported again. Returns whether it was known.
   */
  removeSegment(id: number): boolean {
    return this.db.transaction(() => {
      this.storage.removeAllCopies.run(id);
      return this.storage.removeRow.run(id).changes > 0;
    })();
  }

  /**
   * The SHA-256 a segment's file had when last read in full, with the file's stat fingerprint at
   * that time: valid for a file whose fingerprint is still the same. Undefined if never recorded.
   */
  checksum(id: number): { sha256: string; stat: string } | undefined {
    const r = this.storage.checksum.get(id);
    return r?.sha256 && r.sha256_stat ? { sha256: r.sha256, stat: r.sha256_stat } : undefined;
  }

  /** Records a segment's checksum (see checksum()); an unknown id is ignored. */
  setChecksum(id: number, sha256: string, stat: string): void {
    this.storage.setChecksum.run(sha256, stat, id);
  }

  /** Removes rows kept after their video was deleted that ended at or before `endedBy`; returns how many. */
  purgeMetadata(endedBy: number): number {
    return this.storage.purge.run(endedBy).changes;
  }

  /** One stream's segments overlapping [fromMs, toMs) whose video retention has not deleted: what playback can serve. */
  listRecorded(cameraId: string, fromMs: number, toMs: number, stream = 0): IndexedSegment[] {
    return this.storage.listRecorded.all(cameraId, stream, fromMs, toMs).map(fromRow);
  }

  /** The index's database, for parts of the node that keep a table of their own in it (the segment chain). */
  get sqlite(): Database.Database {
    return this.db;
  }

  /** Closes the database (checkpointing the WAL); the object is unusable afterwards. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function fromRow(r: Row): IndexedSegment {
  return {
    id: r.id,
    cameraId: r.camera_id,
    startMs: r.start_ms,
    endMs: r.end_ms,
    path: r.path,
    bytes: r.bytes,
    reported: r.reported === 1,
    stream: r.stream,
    ...(r.recorded_sha256 && { sha256: r.recorded_sha256 }),
  };
}

/** One copy of a segment on one storage path, as retention reads it (retention's own shape). */
export type StoredCopy = RetentionSegment;

interface CopyRow {
  id: number;
  camera_id: string;
  stream: number;
  start_ms: number;
  end_ms: number;
  path: string;
  bytes: number;
  root: string;
}

function fromCopyRow(r: CopyRow): StoredCopy {
  return {
    id: r.id,
    cameraId: r.camera_id,
    stream: r.stream,
    startMs: r.start_ms,
    endMs: r.end_ms,
    path: r.path,
    bytes: r.bytes,
    storagePath: r.root,
  };
}

type StorageStatements = ReturnType<typeof storageSchema>;

/**
 * The storage and retention part of the schema, added to existing indexes in place: a stream number,
 * a video_deleted flag and a cached checksum on segments, and one segment_copies row per storage
 * path holding a file.
 */
function storageSchema(db: Database.Database) {
  const columns = new Set(
    db
      .prepare<[], { name: string }>('PRAGMA table_info(segments)')
      .all()
      .map((c) => c.name),
  );
  db.transaction(() => {
    if (!columns.has('stream')) db.exec('ALTER TABLE segments ADD COLUMN stream INTEGER NOT NULL DEFAULT 0');
    if (!columns.has('video_deleted')) {
      db.exec(
        'ALTER TABLE segments ADD COLUMN video_deleted INTEGER NOT NULL DEFAULT 0 CHECK (video_deleted IN (0, 1))',
      );
    }
    // The SHA-256 of the file as last read in full, and the stat fingerprint it was read at (see checksum()).
    if (!columns.has('sha256')) db.exec('ALTER TABLE segments ADD COLUMN sha256 TEXT');
    if (!columns.has('sha256_stat')) db.exec('ALTER TABLE segments ADD COLUMN sha256_stat TEXT');
    // The SHA-256 of the bytes as committed: what was recorded, never rewritten by a later read
    // (sha256 above follows the file); NULL for rows from before it was kept.
    if (!columns.has('recorded_sha256')) db.exec('ALTER TABLE segments ADD COLUMN recorded_sha256 TEXT');
    db.exec(`
      -- start_ms is copied here so that "oldest on this path" is one walk of the index below.
      CREATE TABLE IF NOT EXISTS segment_copies (
        segment_id INTEGER NOT NULL,
        root TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        PRIMARY KEY (segment_id, root)
      );
      CREATE INDEX IF NOT EXISTS segment_copies_root_start ON segment_copies (root, start_ms, segment_id);
      -- Max storage days per camera stream, and the seek from one (camera, stream) pair to the next.
      CREATE INDEX IF NOT EXISTS segments_camera_stream_end ON segments (camera_id, stream, end_ms);
      CREATE INDEX IF NOT EXISTS segments_video_deleted ON segments (end_ms) WHERE video_deleted = 1;
    `);
  })();
  const copyCols = 's.id, s.camera_id, s.stream, s.start_ms, s.end_ms, s.path, s.bytes, c.root';
  return {
    addStream: db.prepare(
      'INSERT INTO segments (camera_id, start_ms, end_ms, path, bytes, stream, recorded_sha256) VALUES (@cameraId, @startMs, @endMs, @path, @bytes, @stream, @sha256)',
    ),
    addCopy: db.prepare<[number, string, number]>(
      'INSERT OR IGNORE INTO segment_copies (segment_id, root, start_ms) VALUES (?, ?, ?)',
    ),
    adopt: db.prepare<[string, number]>(`
      INSERT OR IGNORE INTO segment_copies (segment_id, root, start_ms)
      SELECT s.id, ?, s.start_ms FROM segments s
      WHERE s.id > ? AND s.video_deleted = 0 AND NOT EXISTS (SELECT 1 FROM segment_copies c WHERE c.segment_id = s.id)`),
    maxId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM segments'),
    oldest: db.prepare<[string, number], CopyRow>(
      `SELECT ${copyCols} FROM segment_copies c JOIN segments s ON s.id = c.segment_id WHERE c.root = ? ORDER BY c.start_ms, c.segment_id LIMIT ?`,
    ),
    expired: db.prepare<[string, number, number, number], CopyRow>(
      `SELECT ${copyCols} FROM segments s JOIN segment_copies c ON c.segment_id = s.id
       WHERE s.camera_id = ? AND s.stream = ? AND s.end_ms <= ? ORDER BY s.end_ms, s.id LIMIT ?`,
    ),
    firstPair: db.prepare<[], { camera_id: string; stream: number }>(
      'SELECT camera_id, stream FROM segments ORDER BY camera_id, stream LIMIT 1',
    ),
    nextPair: db.prepare<[string, number], { camera_id: string; stream: number }>(
      'SELECT camera_id, stream FROM segments WHERE (camera_id, stream) > (?, ?) ORDER BY camera_id, stream LIMIT 1',
    ),
    removeCopy: db.prepare<[number, string]>('DELETE FROM segment_copies WHERE segment_id = ? AND root = ?'),
    hasCopy: db.prepare<[number], { one: number }>('SELECT 1 AS one FROM segment_copies WHERE segment_id = ? LIMIT 1'),
    markVideoDeleted: db.prepare<[number]>('UPDATE segments SET video_deleted = 1 WHERE id = ?'),
    removeRow: db.prepare<[number]>('DELETE FROM segments WHERE id = ?'),
    removeAllCopies: db.prepare<[number]>('DELETE FROM segment_copies WHERE segment_id = ?'),
    purge: db.prepare<[number]>('DELETE FROM segments WHERE video_deleted = 1 AND end_ms <= ?'),
    checksum: db.prepare<[number], { sha256: string | null; sha256_stat: string | null }>(
      'SELECT sha256, sha256_stat FROM segments WHERE id = ?',
    ),
    setChecksum: db.prepare<[string, string, number]>('UPDATE segments SET sha256 = ?, sha256_stat = ? WHERE id = ?'),
    listRecorded: db.prepare<[string, number, number, number], Row>(
      `SELECT ${COLUMNS} FROM segments WHERE camera_id = ? AND stream = ? AND end_ms > ? AND start_ms < ? AND video_deleted = 0 ORDER BY start_ms, id`,
    ),
  };
}
