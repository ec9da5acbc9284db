/**
 * A link of a recording server's signed hash chain: one per segment it recorded, and one each time
 * retention deleted footage ("pruned up to seq N"). Per camera stream, links are numbered 1, 2, …
 * and each names the hash of the one before, so a removed link shows as a gap in seq and an altered
 * or reordered one as a `prev` that does not match. Each is signed with the server's identity key
 * (ECDSA P-256, SHA-256, IEEE P1363 signature). Pure: encoding, hashing, signing and verifying.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

/** What a link states, as signed. */
export interface LinkBody {
  /** The server that recorded (and signed) it. */
  server: string;
  camera: string;
  stream: number;
  /** 1 for a chain's first link, then one more per link. */
  seq: number;
  /** A recorded segment, or retention's record that the chain's segments up to `upToSeq` may be gone. */
  kind: 'segment' | 'prune';
  /** The segment's times (farm ms), size and SHA-256 (hex) of its file's bytes; 0, 0, 0, '' for a prune. */
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string;
  /** A prune: every segment link up to this seq may have been deleted by retention. */
  upToSeq?: number;
  /** When the server signed it (its clock). */
  atMs: number;
  /** linkHash of the link before (seq − 1); GENESIS for seq 1. */
  prev: string;
}

/** A link with its signature (base64). */
export interface SignedLink {
  body: LinkBody;
  sig: string;
}

/** The `prev` of a chain's first link. */
export const GENESIS = '0'.repeat(64);

const TAG = 'vigil-segment-link-v1';

/** The bytes a link's signature and hash cover: a fixed field order, so no JSON key order matters. */
export function linkBytes(b: LinkBody): Buffer {
  return Buffer.from(
    JSON.stringify([
      TAG,
      b.server,
      b.camera,
      b.stream,
      b.seq,
      b.kind,
      b.startMs,
      b.endMs,
      b.bytes,
      b.sha256,
      b.upToSeq ?? null,
      b.atMs,
      b.prev,
    ]),
  );
}

/** The hash the next link names as its `prev` (SHA-256 of linkBytes, hex). The signature is not in it: ECDSA signatures vary. */
export function linkHash(b: LinkBody): string {
  return createHash('sha256').update(linkBytes(b)).digest('hex');
}

/** Signs a link with a server's private key (ECDSA P-256). */
export function signLink(body: LinkBody, key: KeyObject): SignedLink {
  return { body, sig: sign('sha256', linkBytes(body), { key, dsaEncoding: 'ieee-p1363' }).toString('base64') };
}

/** Whether a link's signature verifies with this public key (a server's certificate's). */
export function linkSignatureValid(link: SignedLink, publicKey: KeyObject): boolean {
  try {
    return verify(
      'sha256',
      linkBytes(link.body),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(link.sig, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The body of the link that follows `last` (undefined: the chain's first) in its chain. */
export function nextLinkBody(last: LinkBody | undefined, fields: Omit<LinkBody, 'seq' | 'prev'>): LinkBody {
  return { ...fields, seq: (last?.seq ?? 0) + 1, prev: last ? linkHash(last) : GENESIS };
}
