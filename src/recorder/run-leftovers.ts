import { readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingRun } from './recording-run.ts';
import { readSegment, timeSegment, type TimedPart } from './segment-validator.ts';

/**
 * The files an ended run left in staging that ffmpeg never listed (it was killed or restarted
 * mid-segment), timed through the run's anchor like any segment, so none stays in staging. The
 * last frame of each is dropped when there are more: a kill may have cut it short. A file without
 * a video frame (only its PAT and PMT were written) holds no footage and is removed. `held`: the
 * staged files some target still holds (they are not leftovers).
 */
export async function runLeftovers(stagingDir: string, run: RecordingRun, held: Set<string>): Promise<TimedPart[]> {
  let names: string[];
  try {
    names = (await readdir(stagingDir)).filter((n) => n.startsWith(`${run.prefix}-`) && n.endsWith('.ts')).sort();
  } catch {
    return [];
  }
  const out: TimedPart[] = [];
  for (const name of names) {
    const file = join(stagingDir, name);
    if (held.has(file)) continue;
    const read = await readSegment(file);
    if (typeof read === 'string') {
      if (read === 'no video frame' || read === 'file empty') await rm(file, { force: true });
      continue;
    }
    const frames = read.probe.frames;
    const kept =
      frames.length < 2
        ? read
        : {
            data: read.data.subarray(0, frames[frames.length - 1].offset),
            probe: { ...read.probe, frames: frames.slice(0, -1) },
          };
    if (kept !== read) {
      await truncate(file, kept.data.length);
    }
    const timed = await timeSegment(file, kept, run.timing(kept.probe.frames));
    if (typeof timed !== 'string') out.push(...timed);
  }
  return out;
}
