import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { probeTs, relativePts } from '../../src/media/ts-probe.ts';

// A small local stand-in until helper F's per-frame content hashes (disk-footage.ts) are merged:
// the same camera frame recorded by two servers is found by its coded picture, and the times the
// two files give it compared.

const TS_PACKET = 188;
const START_CODE = Buffer.from([0, 0, 1]);

/** The video elementary stream bytes of each frame (PES payloads, headers stripped), in file order. */
function framePayloads(ts: Buffer, offsets: number[]): Buffer[] {
  const pid = ((ts[offsets[0] + 1] & 0x1f) << 8) | ts[offsets[0] + 2];
  return offsets.map((from, k) => {
    const to = k + 1 < offsets.length ? offsets[k + 1] : ts.length - (ts.length % TS_PACKET);
    const parts: Buffer[] = [];
    for (let i = from; i + TS_PACKET <= to; i += TS_PACKET) {
      if ((((ts[i + 1] & 0x1f) << 8) | ts[i + 2]) !== pid) continue;
      const afc = (ts[i + 3] >> 4) & 3;
      if ((afc & 1) === 0) continue;
      let p = i + 4 + (afc & 2 ? 1 + ts[i + 4] : 0);
      if (i === from) p += 9 + ts[p + 8]; // the PES header, which holds the pts: not content
      parts.push(ts.subarray(p, i + TS_PACKET));
    }
    return Buffer.concat(parts);
  });
}

/** The hash of a frame's coded slices (H.264 NAL types 1 and 5): what the camera sent, whoever muxed it. */
function sliceHash(es: Buffer): string | undefined {
  const h = createHash('sha256');
  let slices = 0;
  const starts: number[] = [];
  for (let i = es.indexOf(START_CODE); i !== -1; i = es.indexOf(START_CODE, i + 3)) starts.push(i + 3);
  starts.forEach((s, k) => {
    const type = es[s] & 0x1f;
    if (type !== 1 && type !== 5) return;
    h.update(es.subarray(s, k + 1 < starts.length ? starts[k + 1] - 3 : es.length));
    slices++;
  });
  return slices ? h.digest('hex') : undefined;
}

/**
 * Each frame of these segment files by content: its hash → its time (ms) as the files place it,
 * the file's start (from its name) plus the frame's pts offset within the file. Frames whose content
 * occurs twice (a still picture) are left out: they identify nothing.
 */
export function frameTimes(segments: { file: string; startMs: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  const repeated = new Set<string>();
  for (const seg of segments) {
    const ts = readFileSync(seg.file);
    const probe = probeTs(ts);
    if (!probe?.frames.length) continue;
    const rel = relativePts(probe.frames);
    const first = Math.min(...rel);
    framePayloads(
      ts,
      probe.frames.map((f) => f.offset),
    ).forEach((es, k) => {
      const hash = sliceHash(es);
      if (!hash) return;
      if (out.has(hash)) repeated.add(hash);
      out.set(hash, seg.startMs + ((rel[k] - first) / 90_000) * 1000);
    });
  }
  for (const h of repeated) out.delete(h);
  return out;
}

/** Per frame found in both: how much later `a` places it than `b` (ms). */
export function frameOffsets(a: Map<string, number>, b: Map<string, number>): number[] {
  const out: number[] = [];
  for (const [hash, ms] of a) {
    const other = b.get(hash);
    if (other !== undefined) out.push(ms - other);
  }
  return out;
}
