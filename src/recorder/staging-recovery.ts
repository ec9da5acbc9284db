import { mkdir, readFile, readdir, rename, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { stagingTimeBase } from './ffmpeg-args.ts';
import { segmentRelPath } from './layout.ts';
import type { IndexedSegment, LocalIndex } from './local-index.ts';
import { PTS_WRAP, probeTs, relativePts } from './ts-probe.ts';
import { exists } from '../lib/exists.ts';

export interface RecoveryOptions {
  storageRoot: string;
  nodeId: string;
  index: LocalIndex;
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
  const stagingRoot = join(o.storageRoot, '.staging');
  for (const camera of await list(stagingRoot)) {
    for (const name of (await list(join(stagingRoot, camera))).sort()) {
      const file = join(stagingRoot, camera, name);
      try {
        const verdict = await recoverOne(o, camera, name, file);
        if (typeof verdict === 'string') {
          await quarantine(o.storageRoot, camera, name, file);
          result.quarantined.push({ file, reason: verdict });
          o.log.warn({ file, reason: verdict }, 'staging file quarantined');
        } else {
          result.recovered.push(verdict);
          o.log.info({ camera, startMs: verdict.startMs, endMs: verdict.endMs }, 'segment recovered from staging');
        }
      } catch (err) {
        o.log.error({ err, file }, 'staging recovery failed for a file; left in place');
      }
    }
  }
  return result;
}

async function recoverOne(o: RecoveryOptions, camera: string, name: string, file: string): Promise<IndexedSegment | string> {
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
  const path = segmentRelPath(camera, startMs, o.nodeId);
  const dest = join(o.storageRoot, path);
  if (await exists(dest)) return 'a segment with the same start is already stored';
  await truncate(file, keepBytes);
  await mkdir(dirname(dest), { recursive: true });
  await rename(file, dest);
  const id = o.index.add({ cameraId: camera, startMs, endMs, path, bytes: keepBytes });
  return { id, cameraId: camera, startMs, endMs, path, bytes: keepBytes, reported: false };
}

async function quarantine(root: string, camera: string, name: string, file: string): Promise<void> {
  const dir = join(root, '.quarantine', camera);
  await mkdir(dir, { recursive: true });
  await rename(file, join(dir, name));
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
