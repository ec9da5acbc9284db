import { appendFile } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import { exportGaps, exportParts, signManifest } from '../chain/export-manifest.ts';
import { manifestBox, sha256Prefix } from '../chain/mp4-manifest-box.ts';
import type { ExportManifest, ExportedSegment, NodeChain } from '../protocol/chain-link.ts';
import type { HeldSegment } from './playback-plan.ts';
import type { Logger } from '../lib/log.ts';

/** What sealing an export needs. */
export interface SealOptions {
  /** The MP4 ffmpeg wrote; the manifest box is appended to it. */
  file: string;
  camera: string;
  stream: number;
  fromMs: number;
  toMs: number;
  /** The plan the MP4 was made from, and per segment what was fetched (undefined: left out). */
  plan: HeldSegment[];
  /** Every segment the servers listed for the range: those the plan left out are named `dropped`. */
  held: HeldSegment[];
  fetched: ({ sha256: string; bytes: number } | undefined)[];
  /** The master's timeline over the range: what "missing" is measured against. */
  recorded: { server: string; startMs: number; endMs: number }[];
  /** Every server of the farm: a copy brought home is vouched for by its recorder, who may hold none of it now. */
  servers: string[];
  /** A server's chain over the range; throws when it does not answer. */
  chainOf: (server: string) => Promise<NodeChain>;
  /** The master's farm key and certificate (PEM), which sign the manifest. */
  master: { key: string; cert: string };
  now: number;
  log: Pick<Logger, 'warn'>;
}

/**
 * Appends the signed manifest to an export's MP4 (see mp4-manifest-box.ts) and returns it: the
 * segments with the hashes of the bytes fetched, every server's chain links over the range with
 * its certificate, every hole named, the MP4's own hash. A server that recorded in the range but
 * does not hand its chain is named `unavailable` (the verifier reports it); others' silence is
 * only logged.
 */
export async function sealExport(o: SealOptions): Promise<ExportManifest> {
  const segments: ExportedSegment[] = [];
  const skipped: ExportManifest['skipped'] = [];
  o.plan.forEach((s, i) => {
    const f = o.fetched[i];
    if (f) segments.push({ holder: s.server, startMs: s.startMs, endMs: s.endMs, bytes: f.bytes, sha256: f.sha256 });
    else skipped.push({ holder: s.server, startMs: s.startMs, endMs: s.endMs });
  });
  const chosen = new Set(o.plan.map((s) => `${s.server}/${s.id}`));
  const dropped = o.held
    .filter((s) => !chosen.has(`${s.server}/${s.id}`) && s.endMs > s.startMs)
    .sort((a, b) => a.startMs - b.startMs)
    .map((s) => ({ holder: s.server, startMs: s.startMs, endMs: s.endMs }));
  const involved = new Set([...o.recorded.map((r) => r.server), ...o.plan.map((s) => s.server)]);
  const chains: NodeChain[] = [];
  const unavailable: string[] = [];
  await Promise.all(
    o.servers.map(async (server) => {
      try {
        const c = await o.chainOf(server);
        if (c.links.length) chains.push(c);
      } catch (err) {
        if (involved.has(server)) unavailable.push(server);
        else o.log.warn({ err, server }, 'export: a server did not hand its segment chain');
      }
    }),
  );
  chains.sort((a, b) => (a.server < b.server ? -1 : 1));
  const mp4 = await sha256Prefix(o.file);
  const manifest = signManifest(
    {
      version: 1,
      camera: o.camera,
      stream: o.stream,
      fromMs: o.fromMs,
      toMs: o.toMs,
      createdAtMs: o.now,
      mp4,
      segments,
      parts: exportParts(segments, chains),
      gaps: exportGaps(segments, o.fromMs, o.toMs, o.recorded, dropped),
      chains,
      unavailable: unavailable.sort(),
      dropped,
      skipped,
      master: { certificate: o.master.cert },
    },
    createPrivateKey(o.master.key),
  );
  await appendFile(o.file, manifestBox(JSON.stringify(manifest)));
  return manifest;
}
