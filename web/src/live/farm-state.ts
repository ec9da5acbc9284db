import type { CameraView, CopyBackView, FailoverView, MasterInfo, ServerView } from '../api/client.ts';

/** The farm as the console shows it: kept by the service channel, never polled. */
export interface FarmState {
  servers: ServerView[];
  cameras: CameraView[];
  /** The failover log's newest entries, oldest first. */
  failovers: FailoverView[];
  copybacks: CopyBackView[];
  master: MasterInfo | undefined;
  generation: number;
  /** The last configuration applied while the page was open. */
  lastConfig?: { generation: number; summary: string; actor?: string; atMs: number };
  /** Whether a snapshot has arrived: until then the page shows it is loading, not an empty farm. */
  ready: boolean;
}

/** One message of GET /api/v1/events: its type and the envelope's fields. */
export interface FarmEvent {
  type: string;
  atMs: number;
  value: unknown;
}

/** How many failover entries the console keeps in memory (older ones are read in pages). */
export const KEPT_FAILOVERS = 200;

/** Before the first snapshot. */
export const EMPTY_FARM: FarmState = {
  servers: [],
  cameras: [],
  failovers: [],
  copybacks: [],
  master: undefined,
  generation: 0,
  ready: false,
};

function upsert<T>(list: T[], item: T, key: (x: T) => string | number): T[] {
  const k = key(item);
  const i = list.findIndex((x) => key(x) === k);
  if (i < 0) return [...list, item];
  const next = list.slice();
  next[i] = item;
  return next;
}

/**
 * The farm after one event (pure): a snapshot replaces everything; a server, camera, failover entry or
 * copy-back job replaces the one of its id (events carry whole objects); an unknown type changes nothing
 * (a newer master may send more than this console knows).
 */
export function applyEvent(s: FarmState, e: FarmEvent): FarmState {
  switch (e.type) {
    case 'snapshot': {
      const v = e.value as {
        servers: ServerView[];
        cameras: CameraView[];
        failovers: FailoverView[];
        copybacks: CopyBackView[];
        master: MasterInfo;
        generation: number;
      };
      return {
        ...s,
        servers: v.servers,
        cameras: v.cameras,
        failovers: [...v.failovers].sort((a, b) => a.id - b.id).slice(-KEPT_FAILOVERS),
        copybacks: v.copybacks,
        master: v.master,
        generation: v.generation,
        ready: true,
      };
    }
    case 'server':
      return { ...s, servers: upsert(s.servers, e.value as ServerView, (x) => x.id) };
    case 'camera':
      return { ...s, cameras: upsert(s.cameras, e.value as CameraView, (x) => x.id) };
    case 'failover': {
      const list = upsert(s.failovers, e.value as FailoverView, (x) => x.id).sort((a, b) => a.id - b.id);
      return { ...s, failovers: list.slice(-KEPT_FAILOVERS) };
    }
    case 'copyback':
      return { ...s, copybacks: upsert(s.copybacks, e.value as CopyBackView, (x) => x.id) };
    case 'copyback-done': {
      const { id } = e.value as { id: string };
      return { ...s, copybacks: s.copybacks.filter((x) => x.id !== id) };
    }
    case 'config': {
      const v = e.value as { generation: number; summary: string; actor?: string };
      return { ...s, generation: v.generation, lastConfig: { ...v, atMs: e.atMs } };
    }
    case 'master':
      return { ...s, master: e.value as MasterInfo };
    default:
      return s;
  }
}
