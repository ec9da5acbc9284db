/**
 * Checking one server's chain of one camera stream over a stretch: signatures, continuity (a gap in
 * seq is a removal, unless retention's signed prune mark covers it), order (a `prev` that does not
 * match is a link altered or put in another place; a segment starting before the one before it is
 * reordered). Verification may start at any link: nothing before the first link given is needed. Pure.
 */
import type { KeyObject } from 'node:crypto';
import { linkHash, linkSignatureValid, type SignedLink } from './segment-link.ts';

/** Starts may go back this little between consecutive segments (the seam tolerance, JITTER_MS) without counting as reordered. */
const ORDER_SLACK_MS = 150;

/** What a chain check found. */
export interface ChainFindings {
  /** Tampering or breakage, one line each. */
  problems: string[];
  /** What is in order but worth telling (links pruned by retention). */
  notes: string[];
  /** The highest seq retention's prune links (among those given) say may be gone: missing links at or below it are retention's. */
  prunedUpTo: number;
  /** The links whose signatures verified (all, without a key): the only ones that vouch for anything. */
  valid: SignedLink[];
}

/**
 * Checks links of one chain (one server, camera and stream), given in any order. `publicKey`
 * verifies each link's signature (the server's certificate's key; absent: signatures unchecked,
 * e.g. when the certificate itself failed and was reported). `name` prefixes every line.
 */
export function checkChain(links: SignedLink[], publicKey: KeyObject | undefined, name: string): ChainFindings {
  const problems: string[] = [];
  const notes: string[] = [];
  const valid: SignedLink[] = [];
  for (const l of links) {
    if (publicKey && !linkSignatureValid(l, publicKey)) {
      problems.push(`${name}: link ${l.body.seq} has no valid signature (altered or forged)`);
      continue;
    }
    valid.push(l);
  }
  const sorted = [...valid].sort((a, b) => a.body.seq - b.body.seq);
  const prunedUpTo = Math.max(0, ...sorted.filter((l) => l.body.kind === 'prune').map((l) => l.body.upToSeq ?? 0));
  let lastSeg: SignedLink | undefined;
  let before: SignedLink['body'] | undefined;
  for (const link of sorted) {
    const b = link.body;
    if (before && b.seq === before.seq) {
      // The second is left out of the rest of the check: the first may still be the true one.
      problems.push(`${name}: link ${b.seq} appears twice with different contents (altered)`);
      continue;
    }
    if (before && b.seq > before.seq + 1) {
      const first = before.seq + 1;
      const last = b.seq - 1;
      const span = first === last ? `link ${first}` : `links ${first}–${last}`;
      if (last <= prunedUpTo) notes.push(`${name}: ${span} pruned by retention`);
      else problems.push(`${name}: ${span} missing: removed from the chain`);
    } else if (before && b.prev !== linkHash(before)) {
      problems.push(`${name}: link ${b.seq} does not follow link ${before.seq} (reordered or altered)`);
    }
    if (b.kind === 'segment') {
      if (lastSeg && b.startMs < lastSeg.body.startMs - ORDER_SLACK_MS)
        problems.push(
          `${name}: link ${b.seq} (segment at ${iso(b.startMs)}) starts before link ${lastSeg.body.seq} (${iso(lastSeg.body.startMs)}): reordered`,
        );
      lastSeg = link;
    }
    before = b;
  }
  return { problems, notes, prunedUpTo, valid };
}

/** An epoch ms as ISO 8601, for messages. */
export function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
