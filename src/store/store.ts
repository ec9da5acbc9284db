import type { Selectable } from 'kysely';
import type { Db, Dialect, Tables } from './db.ts';
import { openDb } from './db.ts';
import { migrate } from './migrate.ts';
import type { FarmConfig } from '../config/farm-config.ts';
import type { FailoverDetail, FailoverStatus } from './failover-log.ts';
import type { FailoverRow, FarmSnapshot, ServerRuntime, ServerState, CameraRuntime, Interval } from './rows.ts';
import { applyConfig } from './config-apply.ts';
import { bumpGeneration } from './generation.ts';
import { moveCameras, setCameraRuntime } from './placement.ts';
import { addRecordings, recordings, removeRecordings, type Segment } from './recordings.ts';
import { readSnapshot } from './snapshot.ts';
import { addJoinToken, serverFingerprint, setServerIdentity, useJoinToken } from './identities.ts';

export type {
  CameraRow,
  CameraRuntime,
  FailoverRow,
  FarmSnapshot,
  GroupRow,
  Interval,
  ServerRow,
  ServerRuntime,
  ServerState,
} from './rows.ts';

/**
 * The farm store: configuration, camera ownership, failover log and the recording catalogue. Each
 * concept's statements live in a file of its own (config-apply, placement, recordings, snapshot);
 * writes of many rows go in chunks under the engine's parameter limit (batch.ts).
 */
export class Store {
  private constructor(
    readonly db: Db,
    readonly dialect: Dialect,
  ) {}

  static async open(location: string, onConnectionError?: (err: Error) => void): Promise<Store> {
    const { db, dialect } = openDb(location, onConnectionError);
    await migrate(db, dialect);
    return new Store(db, dialect);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** The whole farm state: settings, groups, servers, cameras, generation and term. */
  async snapshot(): Promise<FarmSnapshot> {
    return readSnapshot(this.db);
  }

  /**
   * Replaces the configuration in one transaction. A camera that already runs somewhere else
   * after a failover stays there unless its home server changed or its current server is gone.
   */
  async applyConfig(c: FarmConfig): Promise<void> {
    await applyConfig(this.db, this.dialect, c);
  }

  async setServerState(id: string, state: ServerState, downSince: number | null): Promise<void> {
    await this.db.updateTable('servers').set({ state, down_since: downSince }).where('id', '=', id).execute();
  }

  async setServerRuntime(id: string, runtime: ServerRuntime): Promise<void> {
    await this.db
      .updateTable('servers')
      .set({ runtime: JSON.stringify(runtime) })
      .where('id', '=', id)
      .execute();
  }

  /** Sets cameras' runtime (live-only relays) in one transaction and bumps the farm generation. */
  async setCameraRuntime(changes: { camera: string; runtime: CameraRuntime }[]): Promise<number> {
    return setCameraRuntime(this.db, this.dialect, changes);
  }

  /** Moves cameras to new servers in one transaction and bumps the farm generation. */
  async moveCameras(moves: { camera: string; to: string }[]): Promise<number> {
    return moveCameras(this.db, this.dialect, moves);
  }

  async bumpGeneration(): Promise<number> {
    return this.db.transaction().execute((tx) => bumpGeneration(tx));
  }

  /** Adds an entry to the failover log; returns its id. The store keeps the detail as it is given. */
  async insertFailover(f: Omit<FailoverRow, 'id' | 'detail'> & { detail: Partial<FailoverDetail> }): Promise<number> {
    const r = await this.db
      .insertInto('failovers')
      .values({
        started_at: f.startedAt,
        server_id: f.server,
        group_id: f.group,
        trigger: f.trigger,
        status: f.status,
        detail: JSON.stringify(f.detail),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** Sets the status and detail of an entry of the failover log. */
  async updateFailover(id: number, status: FailoverStatus, detail: Partial<FailoverDetail>): Promise<void> {
    await this.db
      .updateTable('failovers')
      .set({ status, detail: JSON.stringify(detail) })
      .where('id', '=', id)
      .execute();
  }

  /** One entry of the failover log, without reading the others. */
  async failover(id: number): Promise<FailoverRow | undefined> {
    const r = await this.db.selectFrom('failovers').selectAll().where('id', '=', id).executeTakeFirst();
    return r && failoverRow(r);
  }

  /** The whole failover log, oldest first. */
  async failovers(): Promise<FailoverRow[]> {
    const rows = await this.db.selectFrom('failovers').selectAll().orderBy('id').execute();
    return rows.map(failoverRow);
  }

  /** Adds recorded segments to the catalogue, extending the interval each one continues (per camera stream). */
  async addRecordings(server: string, segments: Segment[]): Promise<void> {
    await addRecordings(this.db, this.dialect, server, segments);
  }

  /** Forgets a server's intervals of a camera stream inside [fromMs, toMs]: its footage was copied home and released there. */
  async removeRecordings(camera: string, server: string, fromMs: number, toMs: number, stream = 0): Promise<number> {
    return removeRecordings(this.db, camera, server, fromMs, toMs, stream);
  }

  /** One camera stream's recorded intervals overlapping [fromMs, toMs), on every server. */
  async recordings(camera: string, fromMs: number, toMs: number, stream = 0): Promise<Interval[]> {
    return recordings(this.db, camera, fromMs, toMs, stream);
  }

  /** Keeps a join token's hash for a server; its earlier unused ones and all expired ones go. */
  async addJoinToken(t: { hash: string; server: string; expiresAt: number }, now = Date.now()): Promise<void> {
    await addJoinToken(this.db, t, now);
  }

  /** Uses a join token once; false when it is unknown, for another server, used or expired. */
  async useJoinToken(hash: string, server: string, now = Date.now()): Promise<boolean> {
    return useJoinToken(this.db, hash, server, now);
  }

  /** Records a server's enrolled certificate fingerprint, replacing the one before. */
  async setServerIdentity(server: string, fingerprint: string, at = Date.now()): Promise<void> {
    await setServerIdentity(this.db, server, fingerprint, at);
  }

  /** The fingerprint of a server's enrolled certificate, if it enrolled. */
  async serverFingerprint(server: string): Promise<string | undefined> {
    return serverFingerprint(this.db, server);
  }
}

/** A failover log row as read; the controller is its only writer, so its detail has the log's schema. */
function failoverRow(r: Selectable<Tables['failovers']>): FailoverRow {
  return {
    id: Number(r.id),
    startedAt: Number(r.started_at),
    server: r.server_id,
    group: Number(r.group_id),
    trigger: r.trigger as FailoverRow['trigger'],
    status: r.status as FailoverStatus,
    detail: JSON.parse(r.detail) as FailoverDetail,
  };
}
