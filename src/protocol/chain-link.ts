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
