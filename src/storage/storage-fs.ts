import { access, copyFile, mkdir, open, rename, rm, rmdir, statfs } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { VigilError } from '../lib/errors.ts';
import { probeWritable } from './path-probe.ts';
import { PRIVATE_DIR_MODE } from '../lib/private-dir.ts';

/** Size and free space of the file system holding a path. */
export interface DiskSpace {
  totalBytes: number;
  /** Space an unprivileged writer can still use (statfs bavail), the figure the bounds apply to. */
  freeBytes: number;
}

/**
 * The file-system operations storage decisions need, injected so that failover and commit can be
 * tested with faults that are hard to make on a real disk.
 */
export interface StorageFs {
  /** Creates, writes and removes a small file in `dir`; throws when the path does not take writes. */
  writeProbe(dir: string): Promise<void>;
  statfs(dir: string): Promise<DiskSpace>;
  mkdirp(dir: string): Promise<void>;
  exists(file: string): Promise<boolean>;
  /** Copies, replacing `dest` if present. */
  copy(src: string, dest: string): Promise<void>;
  /** Atomic within one file system; fails with EXDEV across file systems. */
  rename(src: string, dest: string): Promise<void>;
  /** Removes a file; one already gone is fine. */
  remove(file: string): Promise<void>;
  /** Removes a directory if it is empty; a non-empty or missing one is left alone without error. */
  removeEmptyDir(dir: string): Promise<void>;
  /** Flushes a file's data, or a directory's entries, to the disk (fsync). */
  sync(path: string): Promise<void>;
}

/** StorageFs on the real file system. */
export const nodeStorageFs: StorageFs = {
  writeProbe: probeWritable,
  async statfs(dir) {
    const s = await statfs(dir);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  },
  // Footage folders: the owner alone reads them (files come 0600 from the umask and the copy's mode).
  mkdirp: async (dir) => void (await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })),
  exists: (file) =>
    access(file).then(
      () => true,
      () => false,
    ),
  copy: (src, dest) => copyFile(src, dest),
  rename: (src, dest) => rename(src, dest),
  remove: (file) => rm(file, { force: true }),
  async removeEmptyDir(dir) {
    try {
      await rmdir(dir);
    } catch (err) {
      const c = (err as NodeJS.ErrnoException).code;
      if (c !== 'ENOTEMPTY' && c !== 'EEXIST' && c !== 'ENOENT') throw err;
    }
  },
  async sync(path) {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/**
 * `path/rel` for a relative name that stays inside the storage path `path`; throws VigilError
 * 'PATH_OUTSIDE_STORAGE' otherwise, so no name taken from an index row or a request can reach
 * outside the storage paths.
 */
export function storageFile(path: string, rel: string): string {
  const n = normalize(rel);
  if (rel === '' || rel.includes('\0') || isAbsolute(rel) || n === '..' || n.startsWith(`..${sep}`) || n === '.') {
    throw new VigilError('PATH_OUTSIDE_STORAGE', `path ${JSON.stringify(rel)} is not inside the storage`, 400);
  }
  return join(path, n);
}
