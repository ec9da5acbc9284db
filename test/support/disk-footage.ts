import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { JITTER_MS } from '../../src/lib/continuity.ts';
import { streamFolder } from '../../src/storage/layout.ts';
import { tsFrames } from '../../src/media/ts-frames.ts';

/** One video frame found on disk: when its file says it was shot, and what it shows. */
export interface DiskFrame {
  /** The file name's start + (pts − the file's first pts) / 90: never the pts alone, which need not be wall-clock. */
  timeMs: number;
  /** sha1 of its coded picture (src/media/ts-frames.ts): the same camera frame in another server's file hashes the same. */
  hash: string;
}

/** An interval [startMs, endMs) of continuous footage. */
export interface Span {
  startMs: number;
  endMs: number;
}

/**
 * One segment file as it lies in a storage path: its start from its name, then its frames' times
 * from their pts. Its footage is `spans`: a jump between two frames inside the file opens a hole
 * there, as a jump between files does.
 */
export interface DiskSegment extends Span {
  file: string;
  /** The server that recorded it: for a copy brought home (`<start>_<recorder>+<home>.ts`), the recorder. */
  recordedBy: string;
  /** Whether it is a copy brought home by a copy-back. */
  copy: boolean;
  /** Its video frames in time order. */
  frames: DiskFrame[];
  /** The continuous runs of its frames (one, unless frames jump inside the file), each frame lasting `frameMs`. */
  spans: Span[];
  /** The frame interval its frames show (their median step). */
  frameMs: number;
}

/** A hole in footage: no frame covers [startMs, endMs] (longer than the continuity tolerance). */
export interface Hole {
  startMs: number;
  endMs: number;
  ms: number;
}

const NAME = /^(\d{10,})_([A-Za-z0-9_.-]+?)(?:\+([A-Za-z0-9_.-]+))?\.ts$/;

/**
 * For end-to-end tests and benches: every segment of one camera stream stored under a storage
 * path, read from the files themselves (not from any index or the master), oldest first. A file
 * removed while it is read (retention, a copy-back release) is left out.
 */
export function diskSegments(root: string, camera: string, stream = 0): DiskSegment[] {
  const read: { file: string; m: RegExpExecArray; bytes: Buffer }[] = [];
  for (const file of segmentFiles(root, camera, stream)) {
    try {
      read.push({ file, m: NAME.exec(basename(file))!, bytes: readFileSync(file) });
    } catch {
      // removed meanwhile
    }
  }
  const parsed = read.map(({ file, m, bytes }) => {
    const ts = tsFrames(bytes);
    if (!ts?.frames.length) throw new Error(`${file}: a stored segment without a video frame`);
    const startMs = Number(m[1]);
    const frames = ts.frames.map((f) => ({ timeMs: startMs + f.relPts / 90, hash: f.hash }));
    return {
      file,
      startMs,
      recordedBy: m[2],
      copy: m[3] !== undefined,
      frames: frames.sort((a, b) => a.timeMs - b.timeMs),
    };
  });
  // A one-frame file (what a killed recorder's staging can leave) shows no frame interval of its own: the stream's.
  const streamFrameMs = median(parsed.flatMap((s) => steps(s.frames))) ?? 0;
  return parsed
    .map((s) => {
      const frameMs = median(steps(s.frames)) ?? streamFrameMs;
      const spans = frameSpans(
        s.frames.map((f) => f.timeMs),
        frameMs,
      );
      return { ...s, endMs: spans.at(-1)!.endMs, spans, frameMs };
    })
    .sort((a, b) => a.startMs - b.startMs);
}

/**
 * Every segment of a camera stream on every storage path given (each server's, each of a server's
 * paths), oldest first: the footage the farm holds, whoever recorded it.
 */
export function farmSegments(roots: string[], camera: string, stream = 0): DiskSegment[] {
  return roots.flatMap((r) => diskSegments(r, camera, stream)).sort((a, b) => a.startMs - b.startMs);
}

/**
 * The default storage path of every server of a LocalFarm under `farmDir` (`nodes/<id>/storage`),
 * those that exist: where its servers record without storage settings.
 */
export function localFarmStorage(farmDir: string): string[] {
  const nodes = join(farmDir, 'nodes');
  if (!existsSync(nodes)) return [];
  return readdirSync(nodes)
    .map((id) => join(nodes, id, 'storage'))
    .filter((p) => existsSync(p));
}

/**
 * Continuous runs of frames at `times` (sorted), each frame lasting `frameMs`: a step between two
 * frames that leaves more than JITTER_MS uncovered ends a run, the same bound footageHoles uses
 * between files, so a jump inside a file is the hole it would be between two.
 */
export function frameSpans(times: number[], frameMs: number): Span[] {
  const spans: Span[] = [];
  for (const t of times) {
    const last = spans.at(-1);
    if (last && t - last.endMs <= JITTER_MS) last.endMs = Math.max(last.endMs, t + frameMs);
    else spans.push({ startMs: t, endMs: t + frameMs });
  }
  return spans;
}

/**
 * The holes of the union of `segments` over [from, to] (either end uncovered counts as a hole
 * too): gaps of at most JITTER_MS are one continuous recording, as in the master's timeline. A
 * segment read from disk counts by its spans, so a jump inside a file is a hole too.
 */
export function footageHoles(segments: (Span & { spans?: Span[] })[], from: number, to: number): Hole[] {
  const holes: Hole[] = [];
  let coveredTo = from;
  const spans = segments.flatMap((s) => s.spans ?? [s]).sort((a, b) => a.startMs - b.startMs);
  for (const s of spans) {
    if (s.endMs <= coveredTo || s.startMs >= to) continue;
    if (s.startMs - coveredTo > JITTER_MS)
      holes.push({ startMs: coveredTo, endMs: s.startMs, ms: s.startMs - coveredTo });
    coveredTo = Math.max(coveredTo, s.endMs);
  }
  if (to - coveredTo > JITTER_MS) holes.push({ startMs: coveredTo, endMs: to, ms: to - coveredTo });
  return holes;
}

/** The same camera frame as two recordings date it: `diffMs` = bMs − aMs. */
export interface FramePair {
  hash: string;
  aMs: number;
  bMs: number;
  diffMs: number;
}

/**
 * Matches the frames of two recordings of one camera stream (two servers' segments, say) by their
 * content, and returns how far apart each recording dates the same frame, in a's time order. Only
 * pictures that occur once in each are matched (a still scene can repeat a picture; a burned-in
 * clock, as the simulator draws, never does). Frames one side does not hold are left out.
 */
export function frameTimeAgreement(a: { frames: DiskFrame[] }[], b: { frames: DiskFrame[] }[]): FramePair[] {
  const once = (segs: { frames: DiskFrame[] }[]) => {
    const seen = new Map<string, number | null>();
    // A redundant storage holds a file twice: the same picture at the same time is one frame.
    for (const f of segs.flatMap((s) => s.frames)) {
      const at = seen.get(f.hash);
      seen.set(f.hash, at === undefined || at === f.timeMs ? f.timeMs : null);
    }
    return seen;
  };
  const inB = once(b);
  const pairs: FramePair[] = [];
  for (const [hash, aMs] of once(a)) {
    const bMs = inB.get(hash);
    if (aMs === null || bMs === null || bMs === undefined) continue;
    pairs.push({ hash, aMs, bMs, diffMs: bMs - aMs });
  }
  return pairs.sort((x, y) => x.aMs - y.aMs);
}

/** A segment file as a source held it: its name's parts and the sha256 (hex) of its bytes. */
export interface LedgerEntry {
  name: string;
  startMs: number;
  recordedBy: string;
  sha256: string;
}

/**
 * What one storage path held of a camera stream over a test, file by file: each call of note()
 * hashes the files it has not seen yet. A copy-back test notes the source while it records (a
 * file is stored under its name whole: written aside, then renamed), so it knows every file's
 * bytes before the copy-back releases it.
 */
export class FootageLedger {
  /** By file name. */
  readonly files = new Map<string, LedgerEntry>();

  constructor(
    readonly root: string,
    readonly camera: string,
    readonly stream = 0,
  ) {}

  /** Hashes every file of the stream under the root that is not in the ledger yet. */
  note(): void {
    for (const file of segmentFiles(this.root, this.camera, this.stream)) {
      const name = basename(file);
      if (this.files.has(name)) continue;
      const sha256 = fileSha256(file);
      const m = NAME.exec(name)!;
      if (sha256) this.files.set(name, { name, startMs: Number(m[1]), recordedBy: m[2], sha256 });
    }
  }
}

/** sha256 (hex) of a file's bytes; undefined when it is gone. */
export function fileSha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * The problems with a copy-back, read from the disks: each file of `source` (noted before its
 * release) that is not at home as a copy with the same bytes (`<start>_<recorder>+<home>.ts`), and
 * each file of that footage still on the source's disk. Empty when all came home intact and the
 * source let go of it.
 */
export function copyBackProblems(source: FootageLedger, sourceRoot: string, homeRoot: string, home: string): string[] {
  const problems: string[] = [];
  const at = (root: string) =>
    new Map(segmentFiles(root, source.camera, source.stream).map((f) => [basename(f), f] as const));
  const atHome = at(homeRoot);
  for (const f of source.files.values()) {
    const copy = atHome.get(`${f.startMs}_${f.recordedBy}+${home}.ts`);
    if (!copy) problems.push(`${f.name}: not at home on ${home}`);
    else if (fileSha256(copy) !== f.sha256) problems.push(`${f.name}: the copy on ${home} holds other bytes`);
  }
  for (const name of at(sourceRoot).keys())
    if (source.files.has(name)) problems.push(`${name}: still on the source's disk`);
  return problems;
}

/** The segment files (by name) of a camera stream under a storage path, in no order. */
function segmentFiles(root: string, camera: string, stream: number): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (NAME.test(name)) out.push(join(dir, name));
      else if (!name.includes('.')) walk(join(dir, name)); // date and hour folders
    }
  };
  walk(join(root, streamFolder(camera, stream)));
  return out;
}

function steps(frames: DiskFrame[]): number[] {
  return frames.slice(1).map((f, k) => f.timeMs - frames[k].timeMs);
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
