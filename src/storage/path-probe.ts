import { errnoText } from '../lib/errors.ts';
import { randomBytes } from 'node:crypto';
import { open, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Checks, at the node's start, that each path exists, is a directory and takes a file (a probe
 * file is created and removed: permissions alone do not tell, e.g. for root or a read-only mount).
 * With `bounds`, also that the free-space bounds can be met at all: a bound at or above the disk's
 * size would make retention delete everything it records. Returns the problems, [] if none.
 */
export async function checkPathsWritable(
  paths: string[],
  bounds?: { minFreeBytes: number; minFreePercent: number },
): Promise<string[]> {
  const problems: string[] = [];
  for (const p of paths) {
    try {
      if (!(await stat(p)).isDirectory()) {
        problems.push(`${p}: not a directory`);
        continue;
      }
    } catch (err) {
      problems.push(`${p}: ${code(err) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoText(err)})`}`);
      continue;
    }
    try {
      await probeWritable(p);
    } catch (err) {
      problems.push(`${p}: not writable (${errnoText(err)})`);
      continue;
    }
    if (!bounds) continue;
    const s = await statfs(p);
    const total = s.blocks * s.bsize;
    const need = Math.max(bounds.minFreeBytes, Math.ceil((total * bounds.minFreePercent) / 100));
    if (need >= total)
      problems.push(
        `${p}: the disk holds ${total} bytes, not more than the ${need} bytes to keep free: retention would delete everything`,
      );
  }
  return problems;
}

/** Probe size: big enough to need a data block, so a full disk fails the probe like it fails a segment. */
const PROBE_BYTES = 4096;

/** Creates, writes, syncs and removes a small hidden file in `dir`; throws when any step fails. */
export async function probeWritable(dir: string): Promise<void> {
  const file = join(dir, `.vigil-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(file, 'wx');
    try {
      await fh.write(Buffer.alloc(PROBE_BYTES));
      await fh.sync();
    } finally {
      await fh.close();
    }
  } finally {
    await rm(file, { force: true });
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}
