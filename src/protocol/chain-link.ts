import { Type, type Static } from '@sinclair/typebox';

// The wire and file form of the signed segment chain: a node's answer to the master, and the
// export manifest that `vigil verify-export` reads. One schema for both (see src/chain/segment-link.ts).

const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** A chain link's signed contents (LinkBody). */
export const LinkBodySchema = Type.Object({
  server: Type.String({ minLength: 1, maxLength: 200 }),
  camera: Type.String({ minLength: 1, maxLength: 200 }),
  stream: Type.Integer({ minimum: 0, maximum: 99 }),
  seq: Type.Integer({ minimum: 1 }),
  kind: Type.Union([Type.Literal('segment'), Type.Literal('prune')]),
  startMs: Type.Number(),
  endMs: Type.Number(),
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Type.Union([Sha256Hex, Type.Literal('')]),
  upToSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  atMs: Type.Number(),
  prev: Sha256Hex,
});

/** A link and its signature (base64 IEEE P1363 ECDSA P-256). */
export const SignedLinkSchema = Type.Object({
  body: LinkBodySchema,
  sig: Type.String({ maxLength: 200 }),
});

/** Answer of GET /node/v1/chain: the server's links over a camera stream's range and the certificate that verifies them. */
export const NodeChain = Type.Object({
  server: Type.String(),
  /** The server's farm certificate (PEM): its key signed the links. */
  certificate: Type.String(),
  links: Type.Array(SignedLinkSchema),
});
/** Answer of GET /node/v1/chain. */
export type NodeChain = Static<typeof NodeChain>;

const Ms = Type.Number();

/** One segment of an export, in play order: where the master fetched it and the SHA-256 of the bytes it got. */
export const ExportedSegmentSchema = Type.Object({
  /** The server the master fetched it from (for a copy brought home, the home: the link names the recorder). */
  holder: Type.String(),
  startMs: Ms,
  endMs: Ms,
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Sha256Hex,
});

/** A hole in an export: footage nobody recorded, or footage the master's timeline lists but the export lacks. */
export const ExportGapSchema = Type.Object({
  startMs: Ms,
  endMs: Ms,
  ms: Ms,
  /**
   * not-recorded: nothing recorded there; overlap: a server's segment of those moments was left out
   * because it overlaps footage already chosen (segments cannot be cut); missing: the master's
   * timeline lists footage there that the export lacks.
   */
  reason: Type.Union([Type.Literal('not-recorded'), Type.Literal('overlap'), Type.Literal('missing')]),
});

/** A consecutive stretch of an export recorded by one server (from its links). */
export const ExportPartSchema = Type.Object({
  /** The server whose chain vouches for it; '' when no link does. */
  server: Type.String(),
  startMs: Ms,
  endMs: Ms,
  segments: Type.Integer({ minimum: 1 }),
});

/**
 * The manifest of an export (embedded at the end of its MP4, see mp4-manifest-box.ts): what it
 * holds, which server recorded each part, their signed chain links and certificates, every hole
 * named, the MP4's own hash, all signed by the master's farm certificate.
 */
export const ExportManifestSchema = Type.Object({
  version: Type.Literal(1),
  camera: Type.String(),
  stream: Type.Integer({ minimum: 0 }),
  fromMs: Ms,
  toMs: Ms,
  createdAtMs: Ms,
  /** The MP4 as ffmpeg wrote it: every byte before the manifest box. */
  mp4: Type.Object({ sha256: Sha256Hex, bytes: Type.Integer({ minimum: 0 }) }),
  segments: Type.Array(ExportedSegmentSchema),
  parts: Type.Array(ExportPartSchema),
  gaps: Type.Array(ExportGapSchema),
  chains: Type.Array(NodeChain),
  /** Servers that recorded in the range but did not hand their chain (or footage): unchecked. */
  unavailable: Type.Array(Type.String()),
  /** Segments some server holds in the range but the plan left out: they overlap footage chosen (a handover's seam). */
  dropped: Type.Array(Type.Object({ holder: Type.String(), startMs: Ms, endMs: Ms })),
  /** Segments planned but not fetched (their server went away meanwhile). */
  skipped: Type.Array(Type.Object({ holder: Type.String(), startMs: Ms, endMs: Ms })),
  master: Type.Object({ certificate: Type.String() }),
  /** ECDSA P-256 SHA-256 (base64, IEEE P1363) over manifestBytes: everything but this field. */
  signature: Type.String(),
});
/** The manifest of an export. */
export type ExportManifest = Static<typeof ExportManifestSchema>;
/** One segment of an export. */
export type ExportedSegment = Static<typeof ExportedSegmentSchema>;
/** A hole in an export. */
export type ExportGap = Static<typeof ExportGapSchema>;
/** A stretch of an export recorded by one server. */
export type ExportPart = Static<typeof ExportPartSchema>;
