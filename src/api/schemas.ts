import { Type } from '@sinclair/typebox';
import { CopyBackJob, FailoverEntry } from '../store/failover-log.ts';
import { ErrorBody } from '../protocol/error-body.ts';
import { StorageState } from '../protocol/storage-state.ts';

/** Response shapes of the read API: the one source for serialization and the OpenAPI document. */

export { ErrorBody };

/** A recording server's clock against farm time (the master's), as GET /api/v1/servers shows it. */
export const ServerClockView = Type.Object(
  {
    offsetMs: Type.Union([Type.Number(), Type.Null()], {
      description: "the server's clock − farm time (ms): its own estimate from status round trips, else the master's",
    }),
    rttMs: Type.Union([Type.Number(), Type.Null()], {
      description:
        "the round trip the server's estimate rests on (its error is at most half); null: the master's figure",
    }),
    masterEstimateMs: Type.Union([Type.Number(), Type.Null()], {
      description: "the master's cross-check: send time − arrival of the least delayed recent status (a lower bound)",
    }),
    warning: Type.Optional(Type.String({ description: 'set when the clock is off farm time beyond ClockSkewWarnMs' })),
  },
  { description: 'null before its first status since the master started' },
);

export const ServerView = Type.Object({
  id: Type.String(),
  group: Type.Integer(),
  host: Type.String(),
  role: Type.Union([Type.Literal('active'), Type.Literal('redundant')], {
    description: 'now: active holds cameras, redundant holds none',
  }),
  kind: Type.Union(
    [Type.Literal('active'), Type.Literal('redundant'), Type.Literal('failover'), Type.Literal('hot-standby')],
    {
      description:
        'role by configuration (after an onReturn swap: the role it plays): active, the home of cameras; redundant, a spare; failover, a failover server of the standby policy; hot-standby, the hot standby of standbyFor',
    },
  ),
  failoverTier: Type.Union([Type.Literal('primary'), Type.Literal('secondary'), Type.Null()], {
    description: 'a failover server: of the primary or the secondary list',
  }),
  standbyFor: Type.Union([Type.String(), Type.Null()], {
    description: 'a hot standby: the server whose cameras it pre-buffers and takes over',
  }),
  recordsFor: Type.Array(Type.String(), {
    description: 'the servers whose cameras it records now (it took them over)',
  }),
  state: Type.Union([Type.Literal('up'), Type.Literal('suspect'), Type.Literal('down')], {
    description: "the master's verdict: suspect while a buddy reports it possibly down, down once confirmed",
  }),
  health: Type.Union([Type.Literal('up'), Type.Literal('suspect'), Type.Literal('down'), Type.Literal('maintenance')], {
    description:
      'as the console shows it: maintenance when drained; else state, and suspect too while its status is late (or it has sent none since the master started)',
  }),
  reportedBy: Type.Array(Type.String(), { description: 'buddies whose last status reports this server possibly down' }),
  cameras: Type.Array(Type.String()),
  lastStatusAt: Type.Union([Type.Number(), Type.Null()]),
  downSince: Type.Union([Type.Number(), Type.Null()], { description: 'when the server was confirmed down' }),
  suspects: Type.Array(Type.String(), { description: 'buddies this server reports possibly down' }),
  udp: Type.Union([
    Type.Object({
      sent: Type.Integer(),
      accepted: Type.Integer(),
      dropped: Type.Record(Type.String(), Type.Integer()),
    }),
    Type.Null(),
  ]),
  storage: Type.Union([StorageState, Type.Null()], {
    description: "the server's storage paths, their health and retention, as it last reported",
  }),
  disk: Type.Union(
    [
      Type.Object({
        paths: Type.Integer({ description: 'storage paths (its own and those of its cameras, each once)' }),
        failedPaths: Type.Integer(),
        freeBytes: Type.Union([Type.Number(), Type.Null()], { description: 'free space of the healthy paths' }),
        totalBytes: Type.Union([Type.Number(), Type.Null()], { description: 'size of the healthy paths' }),
      }),
      Type.Null(),
    ],
    { description: 'its storage in short (null before its first status)' },
  ),
  recordingFailed: Type.Boolean({
    description: 'the server reports that recording cannot start although its cameras answer',
  }),
  failingCameras: Type.Array(Type.String(), {
    description: 'cameras it cannot record although they answer (failing) or that stopped delivering (stalled)',
  }),
  refusedSegments: Type.Integer({
    description:
      'segments its statuses named of cameras it does not record (nor did recently): kept out of the timeline, since the master started',
  }),
  bootId: Type.Union([Type.String(), Type.Null()], {
    description: "the boot of the server's process as its last status named it (a new one: it restarted)",
  }),
  statusSeq: Type.Union([Type.Integer(), Type.Null()], {
    description: 'the number (in its boot) of the last status the master took from it',
  }),
  staleStatuses: Type.Integer({
    description:
      'statuses dropped as older than one taken already (delivered late or out of order), since the master started',
  }),
  maintenance: Type.Boolean({
    description: 'drained for maintenance: holds no cameras, is not failed over, is no failover target',
  }),
  enabled: Type.Boolean({ description: 'false: never a failover target' }),
  swappedWith: Type.Union([Type.String(), Type.Null()], {
    description: 'onReturn swap: plays the configured role of this server',
  }),
  clock: Type.Union([ServerClockView, Type.Null()]),
});

const RecordingView = Type.Union(
  ['recording', 'starting', 'stalled', 'offline', 'failing', 'unknown', 'unrecorded'].map((s) => Type.Literal(s)),
  {
    description:
      'offline: the camera does not answer; failing: it answers but its server cannot record it; unrecorded: its server is down',
  },
);

export const CameraView = Type.Object({
  id: Type.String(),
  url: Type.String({ description: 'credentials redacted' }),
  homeServer: Type.String(),
  currentServer: Type.String(),
  movable: Type.Boolean(),
  recording: RecordingView,
  lastSegmentEndMs: Type.Union([Type.Number(), Type.Null()]),
  clockOffsetMs: Type.Union([Type.Number(), Type.Null()], {
    description: "the camera's clock − farm time (ms), from its RTCP sender reports as its server saw them",
  }),
  clockWarning: Type.Optional(
    Type.String({ description: "set when the camera's clock is off farm time beyond ClockSkewWarnMs" }),
  ),
  streams: Type.Array(
    Type.Object({ url: Type.String({ description: 'credentials redacted' }), recording: RecordingView }),
    { description: 'streams after the first' },
  ),
  liveRelay: Type.Union([Type.String(), Type.Null()], {
    description: 'live-only failover: the server relaying its live view while its own is down',
  }),
  handover: Type.Union(
    [
      Type.Object({ from: Type.String(), to: Type.String(), reason: Type.String(), startedAt: Type.Number() }),
      Type.Null(),
    ],
    {
      description: 'a make-before-break move under way: both servers record until the new one delivers',
    },
  ),
});

/** An entry of the failover log (its schema is the controller's). */
export const FailoverView = FailoverEntry;

const Span = Type.Object({ startMs: Type.Number(), endMs: Type.Number() });
export const TimelineView = Type.Object({
  camera: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  intervals: Type.Array(
    Type.Object({ startMs: Type.Number(), endMs: Type.Number(), servers: Type.Array(Type.String()) }),
    { description: 'union over every server that recorded the camera' },
  ),
  gaps: Type.Array(
    Type.Object({
      startMs: Type.Number(),
      endMs: Type.Number(),
      ms: Type.Number(),
      failover: Type.Union(
        [
          Type.Object({
            id: Type.Integer(),
            trigger: Type.String(),
            server: Type.String(),
            status: Type.String(),
          }),
          Type.Null(),
        ],
        {
          description:
            'the failover log entry that explains the gap (it moved the camera or left it unrecorded), if any',
        },
      ),
    }),
  ),
  recorded: Type.Array(Type.Composite([Type.Object({ server: Type.String() }), Span])),
});

/** A copy-back job under way, as the API shows it. */
export const CopyBackView = Type.Omit(CopyBackJob, ['notBefore']);
