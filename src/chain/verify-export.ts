/**
 * The offline check of an export against its manifest and the farm CA: the MP4's hash, the
 * master's signature, each server's certificate and link signatures, each chain continuous (removed,
 * reordered, altered named), every exported segment vouched for by its recorder's link, the parts
 * in time order, every hole named, nothing a server recorded left out unnamed. Pure: the caller
 * reads the files and hashes the MP4.
 */
import { X509Certificate } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { identityOf } from '../auth/peer-identity.ts';
import { JITTER_MS } from '../lib/continuity.ts';
import { ExportManifestSchema, type ExportManifest, type ExportPart, type NodeChain } from '../protocol/chain-link.ts';
import { checkChain, iso } from './chain-check.ts';
import { exportParts, manifestSignatureValid, recorderOf, segmentLinks } from './export-manifest.ts';

/** What verify-export found. */
export interface ExportVerdict {
  /** Every problem, one line each; none: the export is what the servers recorded. */
  problems: string[];
  /** What is in order but worth telling (retention's pruning, holes nobody recorded). */
  notes: string[];
  /** Which server recorded each stretch, in time order (when the manifest could be read). */
  parts: ExportPart[];
  manifest?: ExportManifest;
}

/** Checks an export: `manifestJson` (embedded or a separate file), the MP4's own hash and size, the farm CA (PEM). */
export function verifyExport(
  manifestJson: string,
  mp4: { sha256: string; bytes: number },
  caPem: string,
): ExportVerdict {
  const problems: string[] = [];
  const notes: string[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(manifestJson);
  } catch {
    return { problems: ['the manifest is not JSON (damaged or cut short)'], notes, parts: [] };
  }
  if (!Value.Check(ExportManifestSchema, raw)) {
    const errs = [...Value.Errors(ExportManifestSchema, raw)].slice(0, 10);
    return {
      problems: errs.map((e) => `the manifest is not a Vigil export manifest: ${e.path || '/'} ${e.message}`),
      notes,
      parts: [],
    };
  }
  const m = raw;
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch {
    return { problems: ['the farm CA given is not a PEM certificate'], notes, parts: [], manifest: m };
  }
  const at = m.createdAtMs;

  // The master's signature first: everything else in the manifest is only worth what it vouches for.
  const master = farmCert(m.master.certificate, ca, at, 'master');
  if (typeof master === 'string') problems.push(`the master's certificate: ${master}`);
  else if (!manifestSignatureValid(m, master.publicKey))
    problems.push("the manifest's signature does not verify with the master's certificate: the manifest was altered");

  if (m.mp4.bytes !== mp4.bytes)
    problems.push(
      `the MP4 has ${mp4.bytes} bytes, the manifest says ${m.mp4.bytes}: the file was ${mp4.bytes < m.mp4.bytes ? 'cut short' : 'added to'}`,
    );
  else if (m.mp4.sha256 !== mp4.sha256) problems.push("the MP4's SHA-256 is not the manifest's: the video was altered");

  const prunedUpTo = new Map<string, number>();
  /** The chains with only the links that verified: what vouches for the footage. */
  const chains: NodeChain[] = [];
  for (const c of m.chains) {
    const name = `server ${c.server}`;
    const cert = farmCert(c.certificate, ca, at, 'server', c.server);
    if (typeof cert === 'string') problems.push(`${name}'s certificate: ${cert}`);
    for (const l of c.links)
      if (l.body.server !== c.server || l.body.camera !== m.camera || l.body.stream !== m.stream)
        problems.push(
          `${name}: link ${l.body.seq} is of ${l.body.server} ${l.body.camera}/${l.body.stream}, not of this chain`,
        );
    const f = checkChain(
      c.links.filter((l) => l.body.server === c.server && l.body.camera === m.camera && l.body.stream === m.stream),
      typeof cert === 'string' ? undefined : cert.publicKey,
      name,
    );
    problems.push(...f.problems);
    notes.push(...f.notes);
    prunedUpTo.set(c.server, f.prunedUpTo);
    chains.push({ ...c, links: f.valid });
  }
  for (const s of m.unavailable)
    problems.push(`server ${s} recorded in the range but did not answer: its part is unchecked`);
  for (const s of m.skipped)
    problems.push(`the segment of ${s.holder} at ${iso(s.startMs)} could not be fetched: left out of the export`);

  // Each exported segment: vouched for by a link, in time order.
  const links = segmentLinks(chains);
  const byStart = new Map<number, { server: string; seq: number }>();
  for (const c of chains)
    for (const l of c.links)
      if (l.body.kind === 'segment') byStart.set(l.body.startMs, { server: c.server, seq: l.body.seq });
  let prevEnd = -Infinity;
  let prevStart = -Infinity;
  for (const [i, s] of m.segments.entries()) {
    const what = `segment ${i + 1} (${iso(s.startMs)}, from ${s.holder})`;
    const found = recorderOf(s, links);
    if (found) {
      if (found.link.body.bytes !== s.bytes || found.link.body.endMs !== s.endMs)
        problems.push(
          `${what}: its size or end is not what ${found.server} signed (link ${found.link.body.seq}): altered`,
        );
    } else {
      const same = byStart.get(s.startMs);
      problems.push(
        same
          ? `${what}: its bytes are not those ${same.server} signed (link ${same.seq}): altered`
          : `${what}: no server's link vouches for it (unsigned, or its links were pruned)`,
      );
    }
    if (s.startMs < prevStart || s.startMs < prevEnd - JITTER_MS)
      problems.push(`${what}: out of time order (starts before the segment before it ends)`);
    prevStart = s.startMs;
    prevEnd = Math.max(prevEnd, s.endMs);
  }

  checkGaps(m, problems, notes);

  // Nothing a server recorded in the range is left out unnamed.
  for (const c of chains)
    for (const l of c.links) {
      const b = l.body;
      if (b.kind !== 'segment' || b.server !== c.server) continue;
      const from = Math.max(b.startMs, m.fromMs);
      const to = Math.min(b.endMs, m.toMs);
      if (to - from <= JITTER_MS || uncovered(from, to, m.segments) <= JITTER_MS) continue;
      if (m.dropped.some((d) => d.startMs === b.startMs))
        notes.push(
          `server ${c.server}: its segment at ${iso(b.startMs)} (link ${b.seq}) was left out: it overlaps footage chosen`,
        );
      else if (b.seq <= (prunedUpTo.get(c.server) ?? 0))
        notes.push(`server ${c.server}: its segment at ${iso(b.startMs)} (link ${b.seq}) was deleted by retention`);
      else
        problems.push(
          `server ${c.server} recorded ${iso(b.startMs)}–${iso(b.endMs)} (link ${b.seq}) but it is not in the export: removed`,
        );
    }
  return { problems, notes, parts: exportParts(m.segments, chains), manifest: m };
}

/** Every hole between the exported segments (and at the range's edges) must be a named gap; a "missing" gap is a problem. */
function checkGaps(m: ExportManifest, problems: string[], notes: string[]): void {
  let end = m.fromMs;
  const holes: [number, number][] = [];
  for (const s of m.segments) {
    if (s.startMs > end + JITTER_MS) holes.push([end, s.startMs]);
    end = Math.max(end, s.endMs);
  }
  if (m.toMs > end + JITTER_MS) holes.push([end, m.toMs]);
  for (const [a, b] of holes)
    if (!m.gaps.some((g) => g.startMs <= a + JITTER_MS && g.endMs >= b - JITTER_MS))
      problems.push(`the hole ${iso(a)}–${iso(b)} (${b - a} ms) is not named in the manifest`);
  for (const g of m.gaps) {
    const what = `gap ${iso(g.startMs)}–${iso(g.endMs)} (${g.ms} ms)`;
    if (g.reason === 'missing')
      problems.push(`${what}: the master's timeline lists footage there that the export lacks`);
    else
      notes.push(
        `${what}: ${g.reason === 'overlap' ? "a segment overlapping another server's was left out" : 'nothing recorded'}`,
      );
  }
}

/** How much of [from, to) no exported segment covers, in ms. */
function uncovered(from: number, to: number, segments: { startMs: number; endMs: number }[]): number {
  let covered = 0;
  let at = from;
  for (const s of [...segments].filter((x) => x.endMs > from && x.startMs < to).sort((a, b) => a.startMs - b.startMs)) {
    const a = Math.max(at, s.startMs);
    const b = Math.min(to, s.endMs);
    if (b > a) covered += b - a;
    at = Math.max(at, b);
  }
  return to - from - covered;
}

/**
 * A farm certificate issued by the CA, naming `kind` (and `server`), valid at `atMs`: its public key,
 * or why not.
 */
function farmCert(
  pem: string,
  ca: X509Certificate,
  atMs: number,
  kind: 'master' | 'server',
  server?: string,
): X509Certificate | string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return 'not a PEM certificate';
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not issued by this farm CA';
  const id = identityOf(cert.subjectAltName);
  if (kind === 'master' && id?.kind !== 'master') return "not a Vigil master's certificate";
  if (kind === 'server' && (id?.kind !== 'server' || id.server !== server))
    return `not the certificate of server ${server}`;
  if (atMs < Date.parse(cert.validFrom) || atMs > Date.parse(cert.validTo))
    return `not valid at ${iso(atMs)} (valid ${cert.validFrom} – ${cert.validTo})`;
  return cert;
}
