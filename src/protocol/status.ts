import { Type, type Static } from '@sinclair/typebox';
import { CopyJobStatus } from './copy-job.ts';
import { StorageState } from './storage-state.ts';

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
  clockOffsetMs: Type.Optional(
    Type.Number({ description: "the camera's clock − farm time (ms), from its RTCP sender reports" }),
  ),
});

/** The node's clock as it sends a status: its reading, and its own estimate of how far it is off the master's. */
export const NodeClock = Type.Object({
  sentAtMs: Type.Number({ description: "the node's wall clock when it sent this status" }),
  offsetMs: Type.Optional(
    Type.Number({ description: "the node's clock − the master's (ms), estimated from status round trips" }),
  ),
  rttMs: Type.Optional(
    Type.Number({ description: 'the round trip that estimate rests on (its error is at most half)' }),
  ),
});
/** The node's clock as it sends a status. */
export type NodeClock = Static<typeof NodeClock>;

const RecordedBy = Type.String({
  maxLength: 200,
  description:
    'a copy brought home (copy-back): the server that recorded it; it keeps the copy apart from this server own file of the same instant',
});

/** What a recording server reports to the master every StatusIntervalMs (and at once when its suspects change). */
export const NodeStatus = Type.Object({
  bootId: Type.String({ maxLength: 64 }),
  seq: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        "this status's number in its boot (1, 2, … one per status sent): the master drops one older than the last it took of the same boot",
    }),
  ),
  answeredAtMs: Type.Optional(
    Type.Number({
      description:
        "the master's time (masterTimeMs) in the last answer this server got to a status: proof that this status was sent after then. A server confirmed down comes back only with a status answered after the confirmation",
    }),
  ),
  apiPort: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description:
        "the port this server's API (NodeApi) listens on, at its configured host: the master builds the address itself (nodeApiUrl), never from a URL a status gives",
    }),
  ),
  held: Type.Optional(
    Type.Object(
      {
        term: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
        generation: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      },
      {
        description:
          'the (term, generation) of the assignment in force at this server: a leader behind it (its store restored from an older copy) takes a term above it, or the server would refuse all it sends',
      },
    ),
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
      recordedBy: Type.Optional(RecordedBy),
      bytes: Type.Optional(Type.Integer({ minimum: 0 })),
      sha256: Type.Optional(
        Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 (hex) of the bytes as committed' }),
      ),
    }),
    { maxItems: 5000 },
  ),
  removed: Type.Optional(
    Type.Array(
      Type.Object({
        camera: Type.String(),
        stream: Type.Optional(Type.Integer({ minimum: 0, maximum: 99 })),
        recordedBy: Type.Optional(RecordedBy),
        startMs: Type.Number(),
        endMs: Type.Number(),
      }),
      {
        maxItems: 5000,
        description:
          'segments gone from this server (retention, a copy-back release, a file found gone): the master forgets them; reported until a status is accepted',
      },
    ),
  ),
  storage: Type.Optional(StorageState),
  recordingFailed: Type.Optional(
    Type.Boolean({
      description:
        'recording cannot start: cameras answer, yet none of them records here (the recording-failed failover trigger once it holds for FarmHealthMissedUdpMs)',
    }),
  ),
  copyBack: Type.Optional(
    Type.Array(CopyJobStatus, {
      maxItems: 1000,
      description: 'copy-back jobs of this server (footage recorded elsewhere during a failover, copied home)',
    }),
  ),
  clock: Type.Optional(NodeClock),
  udp: Type.Optional(
    Type.Object({
      sent: Type.Integer(),
      accepted: Type.Integer(),
      dropped: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
});
/** What a recording server reports to the master. */
export type NodeStatus = Static<typeof NodeStatus>;
