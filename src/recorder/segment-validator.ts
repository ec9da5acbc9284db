import { open, type FileHandle } from 'node:fs/promises';
import { mpegtsVideoDurationMs, probeTs } from '../media/ts-probe.ts';

/** What validation found of a good segment: its true start and its size. */
export interface ValidSegment {
  startMs: number;
  bytes: number;
}

/** Bytes of a segment read to validate it (PAT, PMT and the first frame's start fit easily). */
const VALIDATE_HEAD_BYTES = 64 * 1024;

/**
 * Checks a segment ffmpeg listed as finished: an MPEG transport stream with H.264 or H.265 video
 * and at least one frame, ending after it starts. `listedStartMs` undefined (a run's first segment,
 * which ffmpeg 5.1 lists from 0) is measured from the frames and `endMs`. Returns the segment's
 * start and size, or why it is invalid.
 */
export async function validateSegment(
  file: string,
  listedStartMs: number | undefined,
  endMs: number,
): Promise<ValidSegment | string> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return 'file missing';
  }
  let bytes: number;
  let buf: Buffer;
  try {
    bytes = (await fh.stat()).size;
    if (bytes === 0) return 'file empty';
    // The head holds the PAT, the PMT and the first frame: enough to tell a stream from garbage.
    // The whole file is read only when its frames must time it (a run's first segment): reading
    // every byte of every segment cost more garbage collection than anything else the node does.
    const want = listedStartMs === undefined ? bytes : Math.min(bytes, VALIDATE_HEAD_BYTES);
    buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, 0);
    buf = buf.subarray(0, bytesRead - (bytesRead % 188));
  } finally {
    await fh.close();
  }
  const probe = probeTs(buf);
  if (!probe) return 'not an MPEG transport stream';
  if (probe.codec !== 'h264' && probe.codec !== 'hevc') return `unexpected video codec ${probe.codec ?? 'none'}`;
  if (!probe.frames.length) return 'no video frame';
  let startMs = listedStartMs;
  if (startMs === undefined) {
    const durationMs = mpegtsVideoDurationMs(buf);
    if (durationMs === undefined) return 'start unknown: fewer than two timed video frames';
    startMs = Math.round(endMs - durationMs);
  }
  if (!(endMs > startMs)) return `end ${endMs} not after start ${startMs}`;
  return { startMs, bytes };
}
