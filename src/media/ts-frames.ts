import { createHash } from 'node:crypto';
import { probeTs, relativePts, type TsProbe } from './ts-probe.ts';

/** One video frame of an MPEG-TS file: its pts relative to the file's first frame, and what it shows. */
export interface TsFrame {
  /** pts − the first frame's pts, in 90 kHz ticks, unwrapped (33-bit). */
  relPts: number;
  /**
   * sha1 (hex) of the frame's coded picture: its slice NAL units only. The PES header (pts) and the
   * parameter sets, SEI and access unit delimiters a muxer may add or repeat are left out, so the same
   * camera frame recorded by two servers, in files cut at different places, hashes the same.
   */
  hash: string;
}

const TS_PACKET = 188;

/**
 * Every video frame of a transport stream, in file order, with its relative pts and content hash.
 * A frame's bytes are the payloads of its PID's packets from its PES start to the next one (or the
 * end of the file: a file cut short hashes what it holds). Undefined when the bytes are not a TS.
 */
export function tsFrames(ts: Uint8Array): { codec: TsProbe['codec']; frames: TsFrame[] } | undefined {
  const probe = probeTs(ts);
  if (!probe) return undefined;
  const rel = relativePts(probe.frames);
  const frames = probe.frames.map((f, k) => {
    const end = probe.frames[k + 1]?.offset ?? ts.length;
    return { relPts: rel[k], hash: sha1(codedPicture(pesPayload(ts, f.offset, end), probe.codec)) };
  });
  return { codec: probe.codec, frames };
}

/** The elementary stream bytes of the PES starting in the packet at `start`, up to `end` (its PID's packets only). */
function pesPayload(ts: Uint8Array, start: number, end: number): Uint8Array {
  const pid = ((ts[start + 1] & 0x1f) << 8) | ts[start + 2];
  const parts: Uint8Array[] = [];
  for (let i = start; i + TS_PACKET <= end; i += TS_PACKET) {
    if ((((ts[i + 1] & 0x1f) << 8) | ts[i + 2]) !== pid) continue;
    const afc = (ts[i + 3] >> 4) & 3;
    if ((afc & 1) === 0) continue; // adaptation field only
    let p = i + 4 + (afc & 2 ? 1 + ts[i + 4] : 0);
    if (i === start) p += 9 + ts[p + 8]; // the PES header: start code, id, length, flags, header data
    if (p < i + TS_PACKET) parts.push(ts.subarray(p, i + TS_PACKET));
  }
  return Buffer.concat(parts);
}

/**
 * The slice NAL units of an Annex B access unit (H.264 types 1-5, HEVC types 0-31), each behind a
 * start code; for another codec, the payload as it is.
 */
export function codedPicture(es: Uint8Array, codec: TsProbe['codec']): Uint8Array {
  if (codec !== 'h264' && codec !== 'hevc') return es;
  const parts: Uint8Array[] = [];
  const starts = nalStarts(es);
  starts.forEach((s, k) => {
    let e = starts[k + 1] === undefined ? es.length : starts[k + 1] - 3;
    while (e > s && es[e - 1] === 0) e--; // a 4-byte start code's leading zero, trailing zero bytes
    if (e <= s) return;
    const type = codec === 'h264' ? es[s] & 0x1f : (es[s] >> 1) & 0x3f;
    const slice = codec === 'h264' ? type >= 1 && type <= 5 : type <= 31;
    if (slice) parts.push(START, es.subarray(s, e));
  });
  return Buffer.concat(parts);
}

const START = Uint8Array.of(0, 0, 1);

/** Offsets of the first byte after each 00 00 01 start code. */
function nalStarts(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 2 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      out.push(i + 3);
      i += 2;
    }
  }
  return out;
}

function sha1(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex');
}
