import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JITTER_MS } from '../../src/lib/continuity.ts';
import { streamFolder } from '../../src/storage/layout.ts';
import { mpegtsVideoDurationMs, probeTs } from '../../src/media/ts-probe.ts';

/** One segment file as it lies in a storage path: its start from its name, its end from its video frames (a one-frame file: its start). */
export interface DiskSegment {
  file: string;
  startMs: number;
  endMs: number;
  /** The server that recorded it: for a copy brought home (`<start>_<recorder>+<home>.ts`), the recorder. */
  recordedBy: string;
  /** Whether it is a copy brought home by a copy-back. */
  copy: boolean;
}

/** A hole in footage: no segment covers [startMs, endMs] (longer than the continuity tolerance). */
export interface Hole {
  startMs: number;
  endMs: number;
  ms: number;
}

const NAME = /^(\d{10,})_([A-Za-z0-9_.-]+?)(?:\+([A-Za-z0-9_.-]+))?\.ts$/;

/**
 * For end-to-end tests: every segment of one camera stream stored under a storage path, read from
 * the files themselves (not from any index or the master), oldest first. A file removed while it is
 * read (retention, a copy-back release) is left out.
 */
export function diskSegments(root: string, camera: string, stream = 0): DiskSegment[] {
  const top = join(root, streamFolder(camera, stream));
  if (!existsSync(top)) return [];
  const out: DiskSegment[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const m = NAME.exec(name);
      if (!m) {
        if (!name.includes('.')) walk(p); // date and hour folders
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(p);
      } catch {
        continue;
      }
      // One frame (what a killed recorder's staging can leave) tells no duration: its instant only.
      const probe = probeTs(bytes);
      if (!probe?.frames.length) throw new Error(`${p}: a stored segment without a video frame`);
      const ms = mpegtsVideoDurationMs(bytes) ?? 0;
      const startMs = Number(m[1]);
      out.push({ file: p, startMs, endMs: Math.round(startMs + ms), recordedBy: m[2], copy: m[3] !== undefined });
    }
  };
  walk(top);
  return out.sort((a, b) => a.startMs - b.startMs);
}

/**
 * The holes of the union of `segments` over [from, to] (either end uncovered counts as a hole
 * too): gaps of at most JITTER_MS are one continuous recording, as in the master's timeline.
 */
export function footageHoles(segments: { startMs: number; endMs: number }[], from: number, to: number): Hole[] {
  const holes: Hole[] = [];
  let coveredTo = from;
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    if (s.endMs <= coveredTo || s.startMs >= to) continue;
    if (s.startMs - coveredTo > JITTER_MS)
      holes.push({ startMs: coveredTo, endMs: s.startMs, ms: s.startMs - coveredTo });
    coveredTo = Math.max(coveredTo, s.endMs);
  }
  if (to - coveredTo > JITTER_MS) holes.push({ startMs: coveredTo, endMs: to, ms: to - coveredTo });
  return holes;
}
