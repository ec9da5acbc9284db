import { readFile } from 'node:fs/promises';
import { probeTs, type TsProbe } from '../media/ts-probe.ts';
import type { StagedSegment } from '../storage/segment-sink.ts';
import { continuousParts, frameIntervalMs, maxFrameJumpMs, splitTsFile } from './segment-split.ts';

/** A segment file that is a playable stream: its bytes and what probing them found. */
export interface ReadSegment {
  data: Buffer;
  probe: TsProbe;
}

/**
 * Reads a segment ffmpeg listed as finished (or a crash left) and checks it is an MPEG transport
 * stream with H.264 or H.265 video and at least one frame. Returns its bytes and probe, or why it
 * is invalid. The whole file is read: its frames time it and show any jump inside it.
 */
export async function readSegment(file: string): Promise<ReadSegment | string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return 'file missing';
  }
  if (!data.length) return 'file empty';
  data = data.subarray(0, data.length - (data.length % 188));
  const probe = probeTs(data);
  if (!probe) return 'not an MPEG transport stream';
  if (probe.codec !== 'h264' && probe.codec !== 'hevc') return `unexpected video codec ${probe.codec ?? 'none'}`;
  if (!probe.frames.length) return 'no video frame';
  return { data, probe };
}

/** How a file's frames are put in farm time. */
export interface SegmentTiming {
  /** Farm ms of a frame's pts by the run's anchor; undefined while it has none. */
  wall: (pts: number) => number | undefined;
  /** Without an anchor: the farm time the file's last frame ended at (its listing, its mtime). */
  fallbackEndMs: number;
  /** The run's frame interval (ms) for a file too short to tell its own. */
  intervalMs?: number;
}

/** A validated, timed part of a staged file, ready for a target. */
export interface TimedPart {
  staged: string;
  seg: Pick<StagedSegment, 'startMs' | 'endMs' | 'bytes'>;
  /** Whether the anchor timed it (false: by fallbackEndMs). */
  anchored: boolean;
}

/**
 * Times a segment by its frames and splits it where they jump (see maxFrameJumpMs): part k > 0
 * of `file` goes to `<file minus .ts>.p<k>.ts`. A part starts at its first frame's farm time and
 * ends one frame interval after its last frame.
 */
export async function timeSegment(file: string, read: ReadSegment, t: SegmentTiming): Promise<TimedPart[] | string> {
  const pts = read.probe.frames.map((f) => f.pts);
  const intervalMs = frameIntervalMs(pts) ?? t.intervalMs ?? 100;
  const parts = continuousParts(pts, maxFrameJumpMs(intervalMs));
  const names = parts.slice(1).map((_, i) => file.replace(/(\.ts)?$/, `.p${i + 1}.ts`));
  const sizes = parts.length > 1 ? await splitTsFile(file, read.data, read.probe, parts, names) : [read.data.length];
  const fileLast = Math.max(...parts.map((p) => p.lastPts));
  const out: TimedPart[] = [];
  parts.forEach((p, k) => {
    const anchored = t.wall(p.firstPts);
    const startMs =
      anchored ?? t.fallbackEndMs - (fileLast - p.lastPts) / 90 - intervalMs - (p.lastPts - p.firstPts) / 90;
    const start = Math.round(startMs);
    const end = Math.round(startMs + (p.lastPts - p.firstPts) / 90 + intervalMs);
    out.push({
      staged: k === 0 ? file : names[k - 1],
      seg: { startMs: start, endMs: end, bytes: sizes[k] },
      anchored: anchored !== undefined,
    });
  });
  const bad = out.find((p) => !(p.seg.endMs > p.seg.startMs));
  return bad ? `end ${bad.seg.endMs} not after start ${bad.seg.startMs}` : out;
}
