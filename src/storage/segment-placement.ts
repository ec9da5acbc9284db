import { dirname } from 'node:path';
import type { StorageFs } from './storage-fs.ts';

/** Most folders remembered as made (or synced) before the memory is cleared. */
const REMEMBERED_FOLDERS = 10_000;

/**
 * Puts staged segment files at their place under a storage path without ever exposing a partial
 * file under the final name: a rename within one file system, else a copy to `<name>.part` and a
 * rename. Creates each segment folder once (hour folders take 3600 segments each) and, for durable
 * placements, syncs the file and the folder names down to it.
 */
export class SegmentPlacement {
  /** Folders known to exist, so each hour folder is created once. */
  private readonly made = new Set<string>();
  /** Folders whose own names are known to be on disk (see syncFolders). */
  private readonly synced = new Set<string>();

  constructor(private readonly fs: StorageFs) {}

  /**
   * Puts `staged` at `dest`, a file under the storage path `path`: moved (the staged file is gone
   * after) or copied. With `durable`, the file and its name are on disk when it resolves.
   */
  async place(staged: string, path: string, dest: string, move: boolean, durable: boolean): Promise<void> {
    const dir = dirname(dest);
    await this.makeFolder(path, dir, durable);
    try {
      await this.placeIn(staged, dest, move, durable);
    } catch (err) {
      // Retention removes emptied folders: one remembered as made may be gone.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !(await this.fs.exists(staged))) throw err;
      this.made.delete(dir);
      this.synced.delete(dir);
      await this.makeFolder(path, dir, durable);
      await this.placeIn(staged, dest, move, durable);
    }
  }

  /**
   * Creates a segment's folder, once. With `durable`, the names of the folders down to it are
   * synced first (once too): a file synced into a new folder is lost in a power cut anyway if the
   * folder's own name is not on disk.
   */
  private async makeFolder(path: string, dir: string, durable: boolean): Promise<void> {
    if (!this.made.has(dir)) {
      await this.fs.mkdirp(dir);
      if (this.made.size > REMEMBERED_FOLDERS) this.made.clear();
      this.made.add(dir);
    }
    if (durable) await this.syncFolders(path, dir);
  }

  private async placeIn(staged: string, dest: string, move: boolean, durable: boolean): Promise<void> {
    if (move) {
      try {
        // A rename keeps the file's data where it is: durable only if that data is on disk first.
        if (durable) await this.fs.sync(staged);
        await this.fs.rename(staged, dest);
        if (durable) await this.fs.sync(dirname(dest));
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      }
    }
    const part = `${dest}.part`;
    try {
      await this.fs.copy(staged, part);
      if (durable) await this.fs.sync(part);
      await this.fs.rename(part, dest);
      if (durable) await this.fs.sync(dirname(dest));
    } catch (err) {
      await this.fs.remove(part).catch(() => {});
      throw err;
    }
    if (move) await this.fs.remove(staged);
  }

  /** Syncs each folder from `dir`'s parent up to the storage path `path` (their entries name the folders below them); once per folder. */
  private async syncFolders(path: string, dir: string): Promise<void> {
    if (this.synced.has(dir)) return;
    for (let d = dir; d.length > path.length && d.startsWith(path); d = dirname(d)) await this.fs.sync(dirname(d));
    if (this.synced.size > REMEMBERED_FOLDERS) this.synced.clear();
    this.synced.add(dir);
  }
}
