import type { Selectable } from 'kysely';
import type { Db, Dialect, Tables } from './db.ts';
import { openDb } from './db.ts';
import { migrate } from './migrate.ts';
import { JITTER_MS } from '../lib/continuity.ts';
import type { FarmConfig, Settings } from '../config/farm-config.ts';
import type { CameraStorageInput, StorageSettingsInput } from '../storage/storage-settings.ts';
import { defaultSettings } from '../config/farm-config.ts';
import {
  groupFailoverDefaults,
  type FailoverMode,
  type GroupFailoverSettings,
  type Priority,
} from '../config/failover-settings.ts';
import type { FailoverDetail, FailoverEntry, FailoverStatus } from '../controller/failover-log.ts';

export type ServerState = 'up' | 'suspect' | 'down';

export interface ServerRow {
  id: string;
  group: number;
  host: string;
  udpPort: number | null;
  state: ServerState;
  downSince: number | null;
  storage?: StorageSettingsInput;
  enabled?: boolean;
  maxCameras?: number;
  hotStandbyFor?: string;
  runtime: ServerRuntime;
}
/** What the master decides about a server while running; kept across config changes. */
export interface ServerRuntime {
  /** Drained for maintenance: holds no cameras, is no failover target, and is not failed over. */
  maintenance?: boolean;
  /** Swapped roles (onReturn swap): this server plays the configured role of that one, and it this one's. */
  swappedWith?: string;
}
export interface CameraRuntime {
  /** live-only failover: the server relaying its live view while its own server is down. */
  relay?: string;
}
export interface CameraRow {
  id: string;
  url: string;
  home: string;
  current: string;
  movable: boolean;
  audio?: boolean;
  streams?: { url: string; audio?: boolean }[];
  storage?: CameraStorageInput;
  priority?: Priority;
  failoverMode?: FailoverMode;
  runtime: CameraRuntime;
}
export type GroupRow = { id: number; redundancy: boolean } & GroupFailoverSettings;
export interface FarmSnapshot {
  settings: Settings;
  groups: GroupRow[];
  servers: ServerRow[];
  cameras: CameraRow[];
  generation: number;
  term: number;
}
/** An entry of the failover log as the store keeps it (the schema is the controller's). */
export type FailoverRow = FailoverEntry;
export interface Interval {
  camera: string;
  server: string;
  startMs: number;
  endMs: number;
}

/** Two segments closer than this are one recording interval (see JITTER_MS). */
const MERGE_MS = JITTER_MS;

/** The farm store: configuration, camera ownership, failover log and the recording catalogue. */
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

  async snapshot(): Promise<FarmSnapshot> {
    const [settings, groups, servers, cameras, meta] = await Promise.all([
      this.db.selectFrom('settings').selectAll().execute(),
      this.db.selectFrom('groups').selectAll().orderBy('id').execute(),
      this.db.selectFrom('servers').selectAll().orderBy('id').execute(),
      this.db.selectFrom('cameras').selectAll().orderBy('id').execute(),
      this.db.selectFrom('meta').selectAll().execute(),
    ]);
    const m = Object.fromEntries(meta.map((r) => [r.key, r.value]));
    const s: Record<string, number> = { ...defaultSettings() };
    for (const r of settings) s[r.key] = Number(r.value);
    return {
      settings: s as unknown as Settings,
      groups: groups.map((g) => ({
        id: Number(g.id),
        redundancy: !!g.redundancy,
        ...groupFailoverDefaults(JSON.parse(g.options) as Partial<GroupFailoverSettings>),
      })),
      servers: servers.map((r) => ({
        id: r.id,
        group: Number(r.group_id),
        host: r.host,
        udpPort: r.udp_port === null ? null : Number(r.udp_port),
        state: r.state as ServerState,
        downSince: r.down_since === null ? null : Number(r.down_since),
        ...(JSON.parse(r.options) as Pick<ServerRow, 'storage' | 'enabled' | 'maxCameras' | 'hotStandbyFor'>),
        runtime: JSON.parse(r.runtime) as ServerRuntime,
      })),
      cameras: cameras.map((c) => ({
        id: c.id,
        url: c.url,
        home: c.home_server,
        current: c.current_server,
        movable: !!c.movable,
        ...(JSON.parse(c.options) as Pick<CameraRow, 'audio' | 'streams' | 'storage' | 'priority' | 'failoverMode'>),
        runtime: JSON.parse(c.runtime) as CameraRuntime,
      })),
      generation: Number(m.generation ?? 1),
      term: Number(m.term ?? 1),
    };
  }

  /**
   * Replaces the configuration in one transaction. A camera that already runs somewhere else
   * after a failover stays there unless its home server changed or its current server is gone.
   */
  async applyConfig(c: FarmConfig): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const existing = new Map((await tx.selectFrom('cameras').selectAll().execute()).map((r) => [r.id, r]));
      const serverIds = new Set(c.servers.map((s) => s.id));
      const oldServers = new Map((await tx.selectFrom('servers').selectAll().execute()).map((r) => [r.id, r]));
      await tx.deleteFrom('settings').execute();
      await tx.deleteFrom('groups').execute();
      await tx.deleteFrom('servers').execute();
      await tx.deleteFrom('cameras').execute();
      await tx
        .insertInto('settings')
        .values(Object.entries(c.settings).map(([key, v]) => ({ key, value: String(v) })))
        .execute();
      if (c.groups.length)
        await tx
          .insertInto('groups')
          .values(
            c.groups.map(({ id, redundancy, ...failover }) => ({
              id,
              redundancy: redundancy ? 1 : 0,
              options: JSON.stringify(failover),
            })),
          )
          .execute();
      if (c.servers.length)
        await tx
          .insertInto('servers')
          .values(
            c.servers.map((s) => ({
              id: s.id,
              group_id: s.group,
              host: s.host,
              udp_port: s.udpPort ?? null,
              state: oldServers.get(s.id)?.state ?? 'up',
              down_since: oldServers.get(s.id)?.down_since ?? null,
              options: JSON.stringify({
                storage: s.storage,
                enabled: s.enabled,
                maxCameras: s.maxCameras,
                hotStandbyFor: s.hotStandbyFor,
              }),
              runtime: keptServerRuntime(oldServers.get(s.id)?.runtime, serverIds),
            })),
          )
          .execute();
      if (c.cameras.length)
        await tx
          .insertInto('cameras')
          .values(
            c.cameras.map((cam) => {
              const old = existing.get(cam.id);
              const keep = old && old.home_server === cam.server && serverIds.has(old.current_server);
              const options = {
                audio: cam.audio,
                streams: cam.streams,
                storage: cam.storage,
                priority: cam.priority,
                failoverMode: cam.failoverMode,
              };
              return {
                id: cam.id,
                url: cam.url,
                home_server: cam.server,
                current_server: keep ? old.current_server : cam.server,
                movable: cam.movable ? 1 : 0,
                options: JSON.stringify(options),
                runtime: keep ? old.runtime : '{}',
              };
            }),
          )
          .execute();
      await bumpGeneration(tx);
    });
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
    return this.db.transaction().execute(async (tx) => {
      for (const c of changes)
        await tx
          .updateTable('cameras')
          .set({ runtime: JSON.stringify(c.runtime) })
          .where('id', '=', c.camera)
          .execute();
      return bumpGeneration(tx);
    });
  }

  /** Moves cameras to new servers in one transaction and bumps the farm generation. */
  async moveCameras(moves: { camera: string; to: string }[]): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      // A camera recorded by another server is not relayed any more (runtime holds only the relay).
      for (const m of moves)
        await tx
          .updateTable('cameras')
          .set({ current_server: m.to, runtime: '{}' })
          .where('id', '=', m.camera)
          .execute();
      return bumpGeneration(tx);
    });
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
  async addRecordings(
    server: string,
    segments: { camera: string; stream?: number; startMs: number; endMs: number }[],
  ): Promise<void> {
    if (!segments.length) return;
    await this.db.transaction().execute(async (tx) => {
      for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
        const prev = await tx
          .selectFrom('recordings')
          .select(['id', 'end_ms'])
          .where('camera_id', '=', s.camera)
          .where('server_id', '=', server)
          .where('stream', '=', s.stream ?? 0)
          .where('end_ms', '>=', s.startMs - MERGE_MS)
          .where('start_ms', '<=', s.startMs)
          .orderBy('end_ms', 'desc')
          .executeTakeFirst();
        if (prev) {
          if (Number(prev.end_ms) < s.endMs)
            await tx.updateTable('recordings').set({ end_ms: s.endMs }).where('id', '=', prev.id).execute();
        } else {
          await tx
            .insertInto('recordings')
            .values({
              camera_id: s.camera,
              server_id: server,
              start_ms: s.startMs,
              end_ms: s.endMs,
              stream: s.stream ?? 0,
            })
            .execute();
        }
      }
    });
  }

  /** Forgets a server's intervals of a camera stream inside [fromMs, toMs]: its footage was copied home and released there. */
  async removeRecordings(camera: string, server: string, fromMs: number, toMs: number, stream = 0): Promise<number> {
    const r = await this.db
      .deleteFrom('recordings')
      .where('camera_id', '=', camera)
      .where('server_id', '=', server)
      .where('stream', '=', stream)
      .where('start_ms', '>=', fromMs)
      .where('end_ms', '<=', toMs)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** One camera stream's recorded intervals overlapping [fromMs, toMs), on every server. */
  async recordings(camera: string, fromMs: number, toMs: number, stream = 0): Promise<Interval[]> {
    const rows = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('camera_id', '=', camera)
      .where('stream', '=', stream)
      .where('end_ms', '>', fromMs)
      .where('start_ms', '<', toMs)
      .orderBy('start_ms')
      .execute();
    return rows.map((r) => ({
      camera: r.camera_id,
      server: r.server_id,
      startMs: Number(r.start_ms),
      endMs: Number(r.end_ms),
    }));
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

/** A server's runtime survives a config change, except a swap with a server that is gone. */
function keptServerRuntime(old: string | undefined, servers: Set<string>): string {
  const r = JSON.parse(old ?? '{}') as ServerRuntime;
  if (r.swappedWith !== undefined && !servers.has(r.swappedWith)) delete r.swappedWith;
  return JSON.stringify(r);
}

async function bumpGeneration(tx: Db): Promise<number> {
  const cur = await tx.selectFrom('meta').select('value').where('key', '=', 'generation').executeTakeFirstOrThrow();
  const next = Number(cur.value) + 1;
  await tx
    .updateTable('meta')
    .set({ value: String(next) })
    .where('key', '=', 'generation')
    .execute();
  return next;
}
