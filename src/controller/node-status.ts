import { Type, type Static } from '@sinclair/typebox';
import type { CameraStorageInput, StorageSettingsInput } from '../storage/storage-settings.ts';

const RecordingState = Type.Union(
  ['starting', 'recording', 'stalled', 'offline', 'failing'].map((s) => Type.Literal(s)),
  {
    description:
      'offline: the camera does not answer (its own problem); failing: it answers but recording cannot start here',
  },
);
const StreamState = Type.Object({
  state: RecordingState,
  lastSegmentEndMs: Type.Optional(Type.Number()),
  restarts: Type.Optional(Type.Integer()),
});
const PathState = Type.Object({
  path: Type.String(),
  healthy: Type.Boolean(),
  read: Type.Boolean({ description: 'the path marked * (read from)' }),
  failedSince: Type.Optional(Type.Number()),
  lastError: Type.Optional(Type.String()),
  space: Type.Optional(Type.Object({ totalBytes: Type.Number(), freeBytes: Type.Number() })),
});
const PathsState = Type.Object({
  availability: Type.Union([Type.Literal('failover'), Type.Literal('redundant')]),
  allFailed: Type.Boolean(),
  paths: Type.Array(PathState),
});
/** A recording server's storage as it reports it. */
export const StorageState = Type.Composite([
  PathsState,
  Type.Object({
    cameras: Type.Optional(
      Type.Record(Type.String(), PathsState, { description: 'paths of cameras with their own storage' }),
    ),
    retention: Type.Optional(
      Type.Object({
        rounds: Type.Integer(),
        deleted: Type.Record(Type.String(), Type.Integer(), {
          description: 'segment copies deleted, by reason (max-days, low-space)',
        }),
        deletedBytes: Type.Number(),
        failedDeletes: Type.Integer(),
        lastError: Type.Optional(Type.String()),
      }),
    ),
    problems: Type.Optional(
      Type.Array(Type.String(), { description: 'why the latest storage settings were not applied' }),
    ),
  }),
]);
export type StorageState = Static<typeof StorageState>;

/** How far a copy-back job is: as a node reports it and as the master shows it. */
export const CopyProgress = Type.Object({
  segments: Type.Integer(),
  segmentsDone: Type.Integer(),
  bytes: Type.Number(),
  bytesDone: Type.Number(),
  percent: Type.Number(),
  rateBytesPerSec: Type.Number(),
  etaMs: Type.Union([Type.Number(), Type.Null()]),
});

/** What a recording server reports to the master every StatusIntervalMs (and at once when its suspects change). */
export const NodeStatus = Type.Object({
  bootId: Type.String({ maxLength: 64 }),
  apiUrl: Type.Optional(
    Type.String({
      maxLength: 300,
      pattern: '^https?://',
      description: "where this server's playback API (NodeApi) listens",
    }),
  ),
  suspects: Type.Array(Type.String(), { description: 'buddies this server has not heard for FarmHealthMissedUdpMs' }),
  cameras: Type.Record(
    Type.String(),
    Type.Composite([
      StreamState,
      Type.Object({
        streams: Type.Optional(Type.Array(StreamState, { description: 'streams after the first, in order' })),
      }),
    ]),
  ),
  segments: Type.Array(
    Type.Object({
      camera: Type.String(),
      stream: Type.Optional(Type.Integer({ minimum: 0, maximum: 99 })),
      startMs: Type.Number(),
      endMs: Type.Number(),
    }),
    { maxItems: 5000 },
  ),
  storage: Type.Optional(StorageState),
  recordingFailed: Type.Optional(
    Type.Boolean({
      description:
        'recording cannot start: cameras answer, yet none of them records here (the recording-failed failover trigger once it holds for FarmHealthMissedUdpMs)',
    }),
  ),
  copyBack: Type.Optional(
    Type.Array(
      Type.Composite([
        Type.Object({
          id: Type.String(),
          camera: Type.String(),
          stream: Type.Integer(),
          source: Type.Object({ server: Type.String(), url: Type.String() }),
          fromMs: Type.Number(),
          toMs: Type.Number(),
          state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
          error: Type.Optional(Type.String()),
        }),
        CopyProgress,
      ]),
      {
        maxItems: 1000,
        description: 'copy-back jobs of this server (footage recorded elsewhere during a failover, copied home)',
      },
    ),
  ),
  udp: Type.Optional(
    Type.Object({
      sent: Type.Integer(),
      accepted: Type.Integer(),
      dropped: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
});
export type NodeStatus = Static<typeof NodeStatus>;

/** What the master tells a recording server to do. */
export interface Assignment {
  term: number;
  generation: number;
  server: { id: string; host: string; udpPort: number; storage?: StorageSettingsInput };
  cameras: AssignedCamera[];
  /**
   * Max storage days of every camera with its own, also those recorded elsewhere now: a server's
   * retention covers all footage it holds, e.g. what it recorded before or during a failover.
   */
  retentionDays?: Record<string, string | number>;
  buddies: { id: string; host: string; port: number }[];
  /** Footage of its cameras recorded elsewhere, to copy home (failback), verified, then released at the source. */
  copyBack?: {
    id: string;
    camera: string;
    stream: number;
    source: { server: string; url: string };
    fromMs: number;
    toMs: number;
  }[];
  settings: {
    AliveIntervalMs: number;
    FarmHealthStartDelayMs: number;
    FarmHealthSockTimeoutMs: number;
    FarmHealthMissedUdpMs: number;
    StatusIntervalMs: number;
    CopyBackMaxBytesPerSec?: number;
  };
}

/** A camera as a recording server is told to record it. */
export interface AssignedCamera {
  id: string;
  /** The first (main) stream; may carry credentials. */
  url: string;
  audio?: boolean;
  /** Streams after the first (the sub stream, …). */
  streams?: { url: string; audio?: boolean }[];
  storage?: CameraStorageInput;
  /**
   * Hot standby: pull the camera into a rolling pre-buffer of this many ms, recording nothing. When
   * the camera is later assigned without it, the buffer from recordFromMs on is stored (no hole).
   */
  buffer?: { ms: number };
  /** Where a promoted pre-buffer starts being kept: the end of what the failed server recorded. */
  recordFromMs?: number;
}
