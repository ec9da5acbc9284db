import { mkdir, readFile, readdir, rename, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { VigilError } from '../lib/errors.ts';
import { parseStreamFolder, stagingTimeBase } from './layout.ts';
import type { IndexedSegment } from './local-index.ts';
import type { SegmentSink } from './segment-sink.ts';
import { PTS_WRAP, probeTs, relativePts } from '../media/ts-probe.ts';
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

const WRAP_MS = PTS_WRAP / 90;

/**
 * Saves what a crash left in staging: each file a killed ffmpeg was writing holds every frame up to
 * the kill (packets are flushed one by one). Its last frame may be cut short, so the file is cut
 * before it; the rest is placed in time from its own pts and the run's time base (in its name),
 * moved into the layout and indexed like any segment. Run before any recorder starts.
 */
export async function recoverStaging(o: RecoveryOptions): Promise<RecoveryResult> {
  const result: RecoveryResult = { recovered: [], quarantined: [] };
  for (const folder of await list(o.stagingRoot)) {
    for (const name of (await list(join(o.stagingRoot, folder))).sort()) {
      const file = join(o.stagingRoot, folder, name);
      try {
        const verdict = await recoverOne(o, folder, name, file);
        if (verdict === undefined) continue;
        if (typeof verdict === 'string') {
          await quarantine(o.quarantineRoot, folder, name, file);
          result.quarantined.push({ file, reason: verdict });
          o.log.warn({ file, reason: verdict }, 'staging file quarantined');
        } else {
          result.recovered.push(verdict);
          o.log.info(
            { camera: verdict.cameraId, stream: verdict.stream, startMs: verdict.startMs, endMs: verdict.endMs },
            'segment recovered from staging',
          );
        }
      } catch (err) {
        o.log.error({ err, file }, 'staging recovery failed for a file; left in place');
      }
    }
  }
  return result;
}

/** The recovered segment, why the file is no segment (quarantine it), or undefined: no storage took it, try again later. */
async function recoverOne(
  o: RecoveryOptions,
  folder: string,
  name: string,
  file: string,
): Promise<IndexedSegment | string | undefined> {
  const { cameraId, stream } = parseStreamFolder(folder);
  const base = stagingTimeBase(name);
  if (base === undefined) return 'not a staging file of this recorder';
  const buf = await readFile(file);
  const probe = probeTs(buf);
  if (!probe) return buf.length ? 'not an MPEG transport stream' : 'file empty';
  if (probe.codec !== 'h264' && probe.codec !== 'hevc') return `unexpected video codec ${probe.codec ?? 'none'}`;
  if (probe.frames.length < 2) return 'fewer than two video frames';
  // Drop the last frame: the crash may have cut it. Its start is the segment's end.
  const rel = relativePts(probe.frames);
  const keepBytes = probe.frames[probe.frames.length - 1].offset;
  const mtimeMs = (await stat(file)).mtimeMs;
  let firstMs = base * 1000 + probe.frames[0].pts / 90;
  // pts wrap every 26.5 h: a run that long is placed by the file's modification time.
  firstMs += Math.max(0, Math.round((mtimeMs - firstMs) / WRAP_MS)) * WRAP_MS;
  const startMs = Math.round(firstMs);
  const endMs = Math.round(firstMs + rel[rel.length - 1] / 90);
  if (!(endMs > startMs)) return `end ${endMs} not after start ${startMs}`;
  await truncate(file, keepBytes);
  try {
    return await o.sink.commit(file, { cameraId, stream, startMs, endMs, bytes: keepBytes });
  } catch (err) {
    if (err instanceof VigilError && err.code === 'SEGMENT_EXISTS')
      return 'a segment with the same start is already stored';
    if (err instanceof VigilError && err.code === 'STORAGE_ALL_FAILED') {
      o.log.warn({ file, err: err.message }, 'no storage path takes the recovered segment; it stays in staging');
      return undefined;
    }
    throw err;
  }
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
