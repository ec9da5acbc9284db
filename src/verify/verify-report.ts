import { Type, type Static } from '@sinclair/typebox';

const Kind = Type.Union(
  [
    'missing-on-disk',
    'not-in-timeline',
    'size-differs',
    'hash-differs',
    'timeline-without-file',
    'server-unreachable',
  ].map((k) => Type.Literal(k)),
  {
    description:
      "missing-on-disk: a segment the timeline (or the server's index) has, no file on the server; not-in-timeline: a file on the server the timeline lacks; size-differs / hash-differs: the file's bytes now are not those reported when it was recorded; timeline-without-file: time the timeline shows recorded on the server that no file of it covers; server-unreachable: the server could not be asked",
  },
);

const Side = Type.Object({ bytes: Type.Optional(Type.Integer()), sha256: Type.Optional(Type.String()) });

/** One way the master's timeline and a server's disks disagree. */
export const VerifyDifference = Type.Object({
  kind: Kind,
  server: Type.String(),
  startMs: Type.Optional(Type.Number()),
  endMs: Type.Optional(Type.Number()),
  file: Type.Optional(Type.String({ description: "the file in the server's storage layout" })),
  timeline: Type.Optional(Side),
  disk: Type.Optional(Side),
  detail: Type.String(),
});
/** One difference verify found. */
export type VerifyDifference = Static<typeof VerifyDifference>;

/** What verify looked at on one server. */
export const VerifyServer = Type.Object({
  server: Type.String(),
  reachable: Type.Boolean(),
  timelineSegments: Type.Integer({ description: "the master's segment rows of this server in the range" }),
  files: Type.Integer({ description: 'files found on its disks (every copy), hashed now' }),
  pending: Type.Integer({ description: 'files recorded but not yet reported to the master: not judged' }),
});
/** What verify looked at on one server. */
export type VerifyServer = Static<typeof VerifyServer>;

/** Answer of GET /api/v1/verify (and `vigil verify --json`). */
export const VerifyReport = Type.Object({
  camera: Type.String(),
  stream: Type.Integer(),
  from: Type.Number(),
  to: Type.Number(),
  ok: Type.Boolean({ description: 'no difference' }),
  servers: Type.Array(VerifyServer),
  differences: Type.Array(VerifyDifference),
});
/** Answer of GET /api/v1/verify. */
export type VerifyReport = Static<typeof VerifyReport>;
