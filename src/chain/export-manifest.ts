/**
 * The master's side of an export's manifest: the holes named against the timeline, the parts by
 * recording server, the canonical bytes it signs. Pure (the caller gathers segments, links and hashes).
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { JITTER_MS } from '../lib/continuity.ts';
import type { ExportedSegment, ExportGap, ExportManifest, ExportPart, NodeChain } from '../protocol/chain-link.ts';
import type { SignedLink } from './segment-link.ts';

/** JSON with every object's keys sorted: the same manifest always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The bytes the master's signature covers: the manifest without its signature, canonical. */
export function manifestBytes(m: Omit<ExportManifest, 'signature'> & { signature?: string }): Buffer {
  const { signature: _, ...rest } = m;
  return Buffer.from(`vigil-export-manifest-v1\n${canonicalJson(rest)}`);
}

/** Signs a manifest with the master's farm key. */
export function signManifest(m: Omit<ExportManifest, 'signature'>, key: KeyObject): ExportManifest {
  return { ...m, signature: sign('sha256', manifestBytes(m), { key, dsaEncoding: 'ieee-p1363' }).toString('base64') };
}

/** Whether a manifest's signature verifies with this public key (its master certificate's). */
export function manifestSignatureValid(m: ExportManifest, publicKey: KeyObject): boolean {
  try {
    return verify(
      'sha256',
      manifestBytes(m),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(m.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** An interval of recorded footage (the master's timeline). */
export interface RecordedSpan {
  startMs: number;
  endMs: number;
}

/**
 * Every hole of an export over [fromMs, toMs) longer than JITTER_MS, at the edges too: "overlap"
 * where a segment left out of the plan (`dropped`) covers it, "missing" where the timeline lists
 * footage there (a server down, a segment gone from its disk, not fetched), else "not-recorded".
 */
export function exportGaps(
  segments: Pick<ExportedSegment, 'startMs' | 'endMs'>[],
  fromMs: number,
  toMs: number,
  recorded: RecordedSpan[],
  dropped: RecordedSpan[] = [],
): ExportGap[] {
  const holes: { startMs: number; endMs: number }[] = [];
  let end = fromMs;
  for (const s of segments) {
    if (s.startMs > end + JITTER_MS) holes.push({ startMs: end, endMs: s.startMs });
    end = Math.max(end, s.endMs);
  }
  if (toMs > end + JITTER_MS) holes.push({ startMs: end, endMs: toMs });
  const overlaps = (r: RecordedSpan, h: RecordedSpan) => Math.min(r.endMs, h.endMs) - Math.max(r.startMs, h.startMs);
  return holes.map((h) => {
    const ms = h.endMs - h.startMs;
    // Left out by the plan: the dropped segments cover the hole (up to the seam tolerance).
    const cut = dropped.reduce((sum, d) => sum + Math.max(0, overlaps(d, h)), 0) >= ms - JITTER_MS;
    const listed = recorded.some((r) => overlaps(r, h) > JITTER_MS);
    return { ...h, ms, reason: cut ? 'overlap' : listed ? 'missing' : 'not-recorded' };
  });
}

/** A segment link and the server whose chain holds it. */
export interface FoundLink {
  server: string;
  link: SignedLink;
}

/** Every segment link of the chains by `<startMs>/<sha256>`: how an exported segment finds the link that vouches for it. */
export function segmentLinks(chains: NodeChain[]): Map<string, FoundLink> {
  const out = new Map<string, FoundLink>();
  for (const c of chains)
    for (const link of c.links)
      if (link.body.kind === 'segment') out.set(`${link.body.startMs}/${link.body.sha256}`, { server: c.server, link });
  return out;
}

/** The link that vouches for exactly these bytes at this start, if any. */
export function recorderOf(seg: ExportedSegment, links: Map<string, FoundLink>): FoundLink | undefined {
  return links.get(`${seg.startMs}/${seg.sha256}`);
}

/** Consecutive segments recorded by one server, in play order ('' for segments no link vouches for). */
export function exportParts(segments: ExportedSegment[], chains: NodeChain[]): ExportPart[] {
  const links = segmentLinks(chains);
  const parts: ExportPart[] = [];
  for (const s of segments) {
    const server = recorderOf(s, links)?.server ?? '';
    const last = parts.at(-1);
    if (last && last.server === server) {
      last.endMs = Math.max(last.endMs, s.endMs);
      last.segments++;
    } else parts.push({ server, startMs: s.startMs, endMs: s.endMs, segments: 1 });
  }
  return parts;
}
