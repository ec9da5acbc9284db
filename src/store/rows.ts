import type { Settings } from '../config/farm-config.ts';
import type { FailoverMode, GroupFailoverSettings, Priority } from '../config/failover-settings.ts';
import type { CameraStorageInput, StorageSettingsInput } from '../storage/storage-settings.ts';
import type { FailoverEntry } from './failover-log.ts';

/** A server's liveness as the master judges it. */
export type ServerState = 'up' | 'suspect' | 'down';

/** A recording server as the store keeps it: its configuration, state and runtime. */
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
/** What the master decides about a camera while running; kept across config changes. */
export interface CameraRuntime {
  /** live-only failover: the server relaying its live view while its own server is down. */
  relay?: string;
}
/** A camera as the store keeps it: its home, the server recording it now, its settings. */
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
/** A redundancy group and its failover settings. */
export type GroupRow = { id: number; redundancy: boolean } & GroupFailoverSettings;
/** The whole farm state the controller works on. */
export interface FarmSnapshot {
  settings: Settings;
  groups: GroupRow[];
  servers: ServerRow[];
  cameras: CameraRow[];
  generation: number;
  term: number;
}
/** An entry of the failover log as the store keeps it (the schema is failover-log.ts). */
export type FailoverRow = FailoverEntry;
/** A recorded interval of one camera stream on one server. */
export interface Interval {
  camera: string;
  server: string;
  startMs: number;
  endMs: number;
}
