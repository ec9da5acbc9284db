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

const KeyHex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'a 32-byte key, hex' });

/**
 * The Alive keys of a server's pairs (aliveKey(farmKey, from, to), src/health/alive-keys.ts): the
 * master derives them, so a recording server never holds the farm key, and each holds the keys of
 * its own pairs only.
 */
export const AliveKeysHex = Type.Object(
  {
    send: Type.Record(Type.String(), KeyHex, {
      description: 'by buddy: the key this server signs its Alives to it with',
    }),
    receive: Type.Record(Type.String(), KeyHex, {
      description: 'by watched buddy: the key its Alives to this server are checked with',
    }),
  },
  { additionalProperties: false },
);

/**
 * A copy-back job in which this server is the source: only the job's home server may have it
 * release (delete) its segments, and only those of the job's camera stream over the job's range.
 */
export const CopySource = Type.Object({
  job: Type.String(),
  home: Type.String({ minLength: 1 }),
  camera: Type.String(),
  stream: Type.Integer({ minimum: 0 }),
  fromMs: Type.Number(),
  toMs: Type.Number(),
});
/** A copy-back job in which this server is the source. */
export type CopySource = Static<typeof CopySource>;

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
  alive: AliveKeysHex,
  copyBack: Type.Optional(
    Type.Array(CopyJob, {
      description:
        'footage of its cameras recorded elsewhere, to copy home (failback), verified, then released at the source',
    }),
  ),
  copySources: Type.Optional(
    Type.Array(CopySource, {
      description: 'unfinished copy-back jobs that copy footage away from this server: who may have it released',
    }),
  ),
  settings: AssignedSettings,
});
/** What the master tells a recording server to do. */
export type Assignment = Static<typeof Assignment>;

/** Why `value` is not an assignment a recording server can obey (at most 10 lines); empty when it is one. Pure. */
export function assignmentProblems(value: unknown): string[] {
  const problems = schemaProblems(Assignment, value);
  if (problems.length) return problems;
  // Every buddy needs both keys of its pair, or it would be suspected (or never heard) for no fault.
  const a = value as Assignment;
  for (const b of a.buddies) {
    if (!(b.id in a.alive.send)) problems.push(`/alive/send: no key for buddy ${b.id}`);
    if (!(b.id in a.alive.receive)) problems.push(`/alive/receive: no key for buddy ${b.id}`);
  }
  return problems.slice(0, 10);
}
