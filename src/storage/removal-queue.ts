import type Database from 'better-sqlite3';

/** A segment gone from this node's disk (and index), still to be reported to the master. */
export interface Removal {
  /** The queue's own id, to acknowledge it by. */
  id: number;
  cameraId: string;
  stream: number;
  startMs: number;
  endMs: number;
  /** The file's path in the layout (it tells a copy brought home from this server's own file). */
  path: string;
}

interface Row {
  id: number;
  camera_id: string;
  stream: number;
  start_ms: number;
  end_ms: number;
  path: string;
}

/**
 * The segments removed from the local index that the master has not yet been told of. Triggers on
 * the segments table fill it in the same transaction as the removal, whatever removed it (retention,
 * a copy-back release, a file found gone), so no removal is ever forgotten, even across a crash; the
 * status reports it and the master's acknowledgement (the status accepted) empties it.
 */
export class RemovalQueue {
  private readonly stmts;
  private readonly ackAll: (ids: number[]) => void;

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS removed_segments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        camera_id TEXT NOT NULL,
        stream INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        path TEXT NOT NULL
      );
      -- A row deleted whose video was still there, and a row kept whose video retention deleted.
      -- A row already marked video_deleted was queued then: its later purge is not a second removal.
      CREATE TRIGGER IF NOT EXISTS segments_removed AFTER DELETE ON segments WHEN OLD.video_deleted = 0
      BEGIN
        INSERT INTO removed_segments (camera_id, stream, start_ms, end_ms, path)
        VALUES (OLD.camera_id, OLD.stream, OLD.start_ms, OLD.end_ms, OLD.path);
      END;
      CREATE TRIGGER IF NOT EXISTS segments_video_deleted AFTER UPDATE OF video_deleted ON segments
      WHEN OLD.video_deleted = 0 AND NEW.video_deleted = 1
      BEGIN
        INSERT INTO removed_segments (camera_id, stream, start_ms, end_ms, path)
        VALUES (NEW.camera_id, NEW.stream, NEW.start_ms, NEW.end_ms, NEW.path);
      END;
    `);
    this.stmts = {
      pending: db.prepare<[number], Row>(
        'SELECT id, camera_id, stream, start_ms, end_ms, path FROM removed_segments ORDER BY id LIMIT ?',
      ),
      ack: db.prepare<[number]>('DELETE FROM removed_segments WHERE id = ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM removed_segments'),
    };
    this.ackAll = db.transaction((ids: number[]) => {
      for (const id of ids) this.stmts.ack.run(id);
    });
  }

  /** Up to `limit` removals not yet acknowledged, oldest first. */
  pending(limit: number): Removal[] {
    return this.stmts.pending.all(limit).map((r) => ({
      id: r.id,
      cameraId: r.camera_id,
      stream: r.stream,
      startMs: r.start_ms,
      endMs: r.end_ms,
      path: r.path,
    }));
  }

  /** Forgets removals the master has taken (all or none); unknown ids are ignored. */
  acknowledge(ids: number[]): void {
    this.ackAll(ids);
  }

  /** How many removals wait to be reported. */
  size(): number {
    return this.stmts.count.get()?.n ?? 0;
  }
}
