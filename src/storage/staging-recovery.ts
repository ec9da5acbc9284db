import { mkdir, readFile, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { VigilError } from '../lib/errors.ts';
import { parseStreamFolder, stagingTimeBase } from './layout.ts';
import type { IndexedSegment } from './local-index.ts';
import type { SegmentSink } from './segment-sink.ts';
import { ptsToWall, type PtsMapping } from '../recorder/media-clock.ts';
import { anchorPrefix, parseAnchor } from '../recorder/recording-run.ts';
import { collisionSafe } from '../recorder/collision-safe-sink.ts';
import { frameIntervalMs } from '../recorder/segment-split.ts';
import { readSegment, timeSegment } from '../recorder/segment-validator.ts';
import { PRIVATE_DIR_MODE } from '../lib/private-dir.ts';

export interface RecoveryOptions {
  /** The recorders' staging root: one folder per camera stream (see streamFolder). */
  stagingRoot: string;
  /** Where files that cannot be made a segment are moved (never deleted). */
  quarantineRoot: string;
  sink: SegmentSink;
  log: Logger;
}

export interface RecoveryResult {
  recovered: IndexedSegment[];
  /** Files that could not be made a valid segment: moved to .quarantine, never deleted. */
  quarantined: { file: string; reason: string }[];
}

/**
 * Saves what a crash left in staging: each file a killed ffmpeg was writing holds every frame up to
 * the kill (packets are flushed one by one). Its last frame may be cut short, so the file is cut
 * before it; the rest is placed in time by its frames through its run's anchor (the pts → farm time
 * mapping the recorder kept next to the run's files, `<run prefix>.anchor.json`), or, without one,
 * back from the file's modification time; split where its frames jump, moved into the layout and
 * indexed like any segment. A run's anchor goes once none of its files is left. Run before any
 * recorder starts.
 */
export async function recoverStaging(o: RecoveryOptions): Promise<RecoveryResult> {
  const result: RecoveryResult = { recovered: [], quarantined: [] };
  const sink = collisionSafe(o.sink);
  for (const folder of await list(o.stagingRoot)) {
    const dir = join(o.stagingRoot, folder);
    const names = (await list(dir)).sort();
    const anchors = new Map<string, PtsMapping | undefined>();
    for (const name of names) {
      const prefix = anchorPrefix(name);
      if (prefix) anchors.set(prefix, parseAnchor(await readFile(join(dir, name), 'utf8').catch(() => '')));
    }
    for (const name of names) {
      if (anchorPrefix(name) || name.endsWith('.anchor.json.tmp')) continue;
      const file = join(dir, name);
      try {
        const verdict = await recoverOne({ ...o, sink }, folder, name, file, anchors.get(runPrefix(name)));
        if (verdict === undefined) continue;
        if (typeof verdict === 'string') {
          await quarantine(o.quarantineRoot, folder, name, file);
          result.quarantined.push({ file, reason: verdict });
          o.log.warn({ file, reason: verdict }, 'staging file quarantined');
          continue;
        }
        for (const seg of verdict) {
          result.recovered.push(seg);
          o.log.info(
            { camera: seg.cameraId, stream: seg.stream, startMs: seg.startMs, endMs: seg.endMs },
            'segment recovered from staging',
          );
        }
      } catch (err) {
        o.log.error({ err, file }, 'staging recovery failed for a file; left in place');
      }
    }
    // A run's anchor is kept while any of its files waits (no storage took it), else removed.
    const left = new Set((await list(dir)).filter((n) => !n.includes('.anchor.json')).map(runPrefix));
    for (const name of await list(dir)) {
      const prefix = anchorPrefix(name.replace(/\.tmp$/, ''));
      if (prefix && !left.has(prefix)) await rm(join(dir, name), { force: true });
    }
  }
  return result;
}

/** The run prefix of a staging file name (what precedes `-<number>.ts`). */
function runPrefix(name: string): string {
  return name.replace(/-\d{6,}(?:\.p\d{1,3})?\.ts$/, '');
}

/** The recovered segments, why the file is no segment (quarantine it), or undefined: no storage took it, try again later. */
async function recoverOne(
  o: RecoveryOptions,
  folder: string,
  name: string,
  file: string,
  anchor: PtsMapping | undefined,
): Promise<IndexedSegment[] | string | undefined> {
  const { cameraId, stream } = parseStreamFolder(folder);
  if (stagingTimeBase(name) === undefined) return 'not a staging file of this recorder';
  const read = await readSegment(file);
  if (typeof read === 'string') return read === 'file missing' ? undefined : read;
  if (read.probe.frames.length < 2) return 'fewer than two video frames';
  // Drop the last frame: the crash may have cut it.
  const keepBytes = read.probe.frames[read.probe.frames.length - 1].offset;
  const intervalMs = frameIntervalMs(read.probe.frames.map((f) => f.pts));
  const kept = {
    data: read.data.subarray(0, keepBytes),
    probe: { ...read.probe, frames: read.probe.frames.slice(0, -1) },
  };
  const mtimeMs = (await stat(file)).mtimeMs;
  await truncate(file, keepBytes);
  const parts = await timeSegment(file, kept, {
    wall: (pts) => (anchor ? ptsToWall(anchor, pts) : undefined),
    // The file was last written as its dropped frame was: the kept frames end there.
    fallbackEndMs: mtimeMs,
    intervalMs,
  });
  if (typeof parts === 'string') return parts;
  const out: IndexedSegment[] = [];
  for (const part of parts) {
    try {
      out.push(await o.sink.commit(part.staged, { cameraId, stream, ...part.seg }));
    } catch (err) {
      if (err instanceof VigilError && err.code === 'STORAGE_ALL_FAILED') {
        o.log.warn({ file, err: err.message }, 'no storage path takes the recovered segment; it stays in staging');
        return out.length ? out : undefined;
      }
      throw err;
    }
  }
  return out;
}

async function quarantine(root: string, folder: string, name: string, file: string): Promise<void> {
  const dir = join(root, folder);
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await rename(file, join(dir, name));
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
