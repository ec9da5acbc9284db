import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import type { LocalIndex } from './local-index.ts';
import { ownSegmentName, parseStreamFolder } from './layout.ts';
import { mpegtsVideoDurationMs } from '../media/ts-probe.ts';

/** What reconcileIndex walks and where it puts what it finds. */
export interface ReconcileOptions {
  /** One storage path; reconcile each of a node's paths in turn. */
  path: string;
  nodeId: string;
  index: LocalIndex;
  log: Logger;
  /** Only hour folders from this time on are walked (0: everything, a full rebuild). */
  sinceMs: number;
}

const HOUR = 3_600_000;

/**
 * Puts back into the index every segment file of this node (its recordings and the copies it brought
 * home) found on disk but missing from it: the
 * files are the truth, the index a copy. A crash between moving a segment and indexing it leaves
 * such a file; a lost or corrupt index leaves them all. The end time comes from the file's frames.
 */
export async function reconcileIndex(o: ReconcileOptions): Promise<number> {
  const mine = ownSegmentName(o.nodeId);
  let added = 0;
  for (const camera of await dirs(o.path)) {
    if (camera.startsWith('.')) continue; // probe files, older nodes' .staging and .quarantine
    const { cameraId, stream } = parseStreamFolder(camera);
    for (const day of await dirs(join(o.path, camera))) {
      for (const hour of await dirs(join(o.path, camera, day))) {
        const hourStart = Date.parse(`${day}T${hour}:00:00Z`);
        if (!Number.isFinite(hourStart) || hourStart + HOUR < o.sinceMs) continue;
        for (const name of await dirs(join(o.path, camera, day, hour))) {
          const m = mine.exec(name);
          const rel = `${camera}/${day}/${hour}/${name}`;
          if (!m) continue;
          const known = o.index.byPath(rel);
          if (known) {
            // Indexed from another path (redundant mode): this path holds a copy too.
            if (!o.index.copies(known.id).includes(o.path)) o.index.addCopy(known.id, o.path);
            continue;
          }
          const file = join(o.path, rel);
          let buf: Buffer;
          try {
            buf = await readFile(file);
          } catch (err) {
            // One unreadable file (a bad sector, say) must not keep the rest out of the index.
            o.log.error({ file, err: (err as Error).message }, 'stored file unreadable; left in place, not indexed');
            continue;
          }
          const durationMs = mpegtsVideoDurationMs(buf);
          if (durationMs === undefined) {
            o.log.warn({ file }, 'stored file has no readable frames; left in place, not indexed');
            continue;
          }
          const startMs = Number(m[1]);
          o.index.addStored(
            {
              cameraId,
              stream,
              startMs,
              endMs: Math.round(startMs + durationMs),
              path: rel,
              bytes: (await stat(file)).size,
            },
            [o.path],
          );
          added++;
        }
      }
    }
  }
  if (added) o.log.warn({ added, sinceMs: o.sinceMs }, 'segments found on disk put back into the index');
  return added;
}

async function dirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
