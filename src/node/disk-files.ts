import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInside } from '../lib/inside-root.ts';
import type { IndexedSegment, LocalIndex } from '../storage/local-index.ts';
import { ownSegmentName, recorderOfCopy, streamFolder } from '../storage/layout.ts';
import type { NodeFile } from '../protocol/node-api.ts';
import { sha256File } from './file-digest.ts';

const HOUR = 3_600_000;

/** What listDiskFiles reads. */
export interface DiskFilesOptions {
  nodeId: string;
  index: LocalIndex;
  /** The storage paths holding an indexed segment's file. */
  roots: (seg: IndexedSegment) => string[];
  /** Every storage path of this node, walked for files the index does not name. */
  storagePaths: () => string[];
}

/**
 * A camera stream's files on this node's disks over [fromMs, toMs), each read in full now for its
 * size and SHA-256: every copy of every indexed segment (or `missing` when no path has it), then
 * this node's files in the hour folders of the range that no index row names. What verify holds
 * the master's timeline to; the index is not trusted for it.
 */
export async function listDiskFiles(
  o: DiskFilesOptions,
  camera: string,
  stream: number,
  fromMs: number,
  toMs: number,
): Promise<NodeFile[]> {
  const out: NodeFile[] = [];
  const seen = new Set<string>();
  for (const seg of o.index.listRecorded(camera, fromMs, toMs, stream)) {
    const recordedBy = recorderOfCopy(seg.path);
    const base = {
      name: seg.path,
      ...(recordedBy && { recordedBy }),
      startMs: seg.startMs,
      endMs: seg.endMs,
      indexed: true,
      ...(!seg.reported && { pending: true }),
    };
    let found = 0;
    for (const root of o.roots(seg)) {
      seen.add(join(root, seg.path));
      const file = await resolveInside(root, seg.path);
      const read = file ? await readWhole(file) : undefined;
      if (!read) continue;
      found++;
      out.push({ ...base, ...read });
    }
    if (!found) out.push({ ...base, missing: true });
  }
  const own = ownSegmentName(o.nodeId);
  const folder = streamFolder(camera, stream);
  for (const root of o.storagePaths()) {
    // A file starting in the range lies in the hour folder of its start.
    for (let hour = Math.floor(fromMs / HOUR) * HOUR; hour < toMs; hour += HOUR) {
      const iso = new Date(hour).toISOString();
      const rel = `${folder}/${iso.slice(0, 10)}/${iso.slice(11, 13)}`;
      for (const name of await names(join(root, rel))) {
        const m = own.exec(name);
        const startMs = m ? Number(m[1]) : Number.NaN;
        if (!(startMs >= fromMs && startMs < toMs) || seen.has(join(root, rel, name))) continue;
        const file = await resolveInside(root, `${rel}/${name}`);
        const read = file ? await readWhole(file) : undefined;
        const recordedBy = recorderOfCopy(name);
        if (read)
          out.push({ name: `${rel}/${name}`, startMs, ...(recordedBy && { recordedBy }), indexed: false, ...read });
      }
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.name.localeCompare(b.name));
}

/** A regular file's size and SHA-256, or undefined when it is not one or cannot be read. */
async function readWhole(file: string): Promise<{ bytes: number; sha256: string } | undefined> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return sha256File(file).catch(() => undefined);
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
