import { open, truncate, writeFile } from 'node:fs/promises';
import { JITTER_MS } from '../lib/continuity.ts';
import type { TsProbe } from '../media/ts-probe.ts';

const TS_PACKET = 188;
const PTS_WRAP = 2 ** 33;

/**
 * The largest step between two consecutive frames (in presentation order) that a file may hold
 * and still count as continuous footage: one frame interval plus the timeline's own tolerance
 * (JITTER_MS), so a hole the master's timeline would show is never hidden inside a file; and at
 * least two intervals, so one dropped frame of a slow (1-2 fps) camera is no hole. Frame times
 * come from the camera's RTP clock, not from arrival, so they carry no network jitter to allow for.
 */
export function maxFrameJumpMs(intervalMs: number): number {
  return Math.max(intervalMs + JITTER_MS, 2 * intervalMs);
}

/** The typical frame interval (ms) of a file: the median step between its frames' sorted pts; undefined below two frames. */
export function frameIntervalMs(pts: number[]): number | undefined {
  const s = unwrapAll(pts).sort((a, b) => a - b);
  const steps: number[] = [];
  for (let i = 1; i < s.length; i++) if (s[i] > s[i - 1]) steps.push((s[i] - s[i - 1]) / 90);
  if (!steps.length) return undefined;
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1];
}

/** One continuous part of a file: frames [from, to) in file order and its pts range (unwrapped). */
export interface FilePart {
  from: number;
  to: number;
  firstPts: number;
  lastPts: number;
}

/**
 * Splits a file's frames (in file order) where the step between consecutive presentation times
 * exceeds `maxJumpMs`: each part is continuous. A cut is placed before the first frame in file
 * order whose pts lies past the jump (B-frames reorder a few frames, never across a hole).
 */
export function continuousParts(pts: number[], maxJumpMs: number): FilePart[] {
  if (!pts.length) return [];
  const un = unwrapAll(pts);
  const sorted = [...un].sort((a, b) => a - b);
  const jumps: number[] = []; // pts at which a new part begins
  for (let i = 1; i < sorted.length; i++) if ((sorted[i] - sorted[i - 1]) / 90 > maxJumpMs) jumps.push(sorted[i]);
  const cuts = [0];
  for (const j of jumps) {
    const at = un.findIndex((p, i) => i > cuts[cuts.length - 1] && p >= j);
    if (at > 0) cuts.push(at);
  }
  cuts.push(un.length);
  const parts: FilePart[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const slice = un.slice(cuts[k], cuts[k + 1]);
    parts.push({ from: cuts[k], to: cuts[k + 1], firstPts: Math.min(...slice), lastPts: Math.max(...slice) });
  }
  return parts;
}

/** pts relative to the first, unwrapped around it, plus the first: monotonic across a 2^33 wrap. */
function unwrapAll(pts: number[]): number[] {
  if (!pts.length) return [];
  const first = pts[0];
  return pts.map((p) => {
    let rel = (((p - first) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
    if (rel > PTS_WRAP / 2) rel -= PTS_WRAP;
    return first + rel;
  });
}

/**
 * Writes the parts after the first of a TS file as files of their own (`names[k - 1]` for part k),
 * each beginning with the file's PAT and PMT packets so it plays alone, and cuts the file itself
 * to its first part. The new files are written before the original is cut: a crash in between
 * leaves a frame twice, never none.
 */
export async function splitTsFile(
  file: string,
  bytes: Buffer,
  probe: Pick<TsProbe, 'frames' | 'pmtPid'>,
  parts: FilePart[],
  names: string[],
): Promise<number[]> {
  const offsetOf = (frame: number) => (frame < probe.frames.length ? probe.frames[frame].offset : bytes.length);
  const psi: Buffer[] = [];
  for (let i = 0; i + TS_PACKET <= offsetOf(0); i += TS_PACKET) {
    const pid = ((bytes[i + 1] & 0x1f) << 8) | bytes[i + 2];
    if (pid === 0 || pid === probe.pmtPid) psi.push(bytes.subarray(i, i + TS_PACKET));
  }
  const sizes = [offsetOf(parts[0].to)];
  for (let k = 1; k < parts.length; k++) {
    const body = bytes.subarray(offsetOf(parts[k].from), offsetOf(parts[k].to));
    const out = Buffer.concat([...psi, body]);
    await writeFile(names[k - 1], out, { mode: 0o600 });
    sizes.push(out.length);
  }
  // Durable before the original loses its tail: fsync the parts, then cut.
  for (const n of names) {
    const fh = await open(n, 'r+');
    await fh.sync().finally(() => fh.close());
  }
  await truncate(file, sizes[0]);
  return sizes;
}
