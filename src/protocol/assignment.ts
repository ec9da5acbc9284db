import { Type, type Static } from '@sinclair/typebox';
import { CopyJob } from './copy-job.ts';
import { schemaProblems } from './schema-problems.ts';
import { CameraStorage, StorageSettings } from './storage-settings.ts';

/** A camera as a recording server is told to record it. */
export const AssignedCamera = Type.Object({
  id: Type.String({ minLength: 1 }),
  url: Type.String({ description: 'the first (main) stream; may carry credentials' }),
  audio: Type.Optional(Type.Boolean({ description: "record the stream's audio when it has one (default true)" })),
  streams: Type.Optional(
    Type.Array(Type.Object({ url: Type.String(), audio: Type.Optional(Type.Boolean()) }), {
      description: 'streams after the first (the sub stream, …)',
    }),
  ),
  storage: Type.Optional(CameraStorage),
  buffer: Type.Optional(
    Type.Object(
      { ms: Type.Number({ minimum: 0 }) },
      {
        description:
          'hot standby: pull the camera into a rolling pre-buffer of this many ms, recording nothing; when it is later assigned without it, the buffer from recordFromMs on is stored (no hole)',
      },
    ),
  ),
  recordFromMs: Type.Optional(
    Type.Number({
      description: 'where a promoted pre-buffer starts being kept: the end of what the failed server recorded',
    }),
  ),
});
/** A camera as a recording server is told to record it. */
export type AssignedCamera = Static<typeof AssignedCamera>;

/** The farm settings a recording server runs by. */
const AssignedSettings = Type.Object({
  AliveIntervalMs: Type.Number(),
  FarmHealthStartDelayMs: Type.Number(),
  FarmHealthSockTimeoutMs: Type.Number(),
  FarmHealthMissedUdpMs: Type.Number(),
  StatusIntervalMs: Type.Number(),
  CopyBackMaxBytesPerSec: Type.Optional(Type.Number()),
});

/** What the master tells a recording server to do; the server obeys only the newest (term, generation). */
export const Assignment = Type.Object({
  term: Type.Integer(),
  generation: Type.Integer(),
  server: Type.Object({
    id: Type.String(),
    host: Type.String(),
    udpPort: Type.Integer({ minimum: 0, maximum: 65535 }),
    storage: Type.Optional(StorageSettings),
  }),
  cameras: Type.Array(AssignedCamera),
  retentionDays: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
      description:
        "max storage days of every camera with its own, also those recorded elsewhere now: a server's retention covers all footage it holds",
    }),
  ),
  buddies: Type.Array(
    Type.Object({ id: Type.String(), host: Type.String(), port: Type.Integer({ minimum: 0, maximum: 65535 }) }),
  ),
  copyBack: Type.Optional(
    Type.Array(CopyJob, {
      description:
        'footage of its cameras recorded elsewhere, to copy home (failback), verified, then released at the source',
    }),
  ),
  settings: AssignedSettings,
});
/** What the master tells a recording server to do. */
export type Assignment = Static<typeof Assignment>;

/** Why `value` is not an assignment a recording server can obey (at most 10 lines); empty when it is one. Pure. */
export function assignmentProblems(value: unknown): string[] {
  return schemaProblems(Assignment, value);
}
