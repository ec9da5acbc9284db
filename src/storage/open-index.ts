import { existsSync, renameSync } from 'node:fs';
import { LocalIndex } from './local-index.ts';
import type { Logger } from '../lib/log.ts';

/**
 * Opens the node's local index. A file SQLite cannot read is moved aside (kept for inspection,
 * never deleted) and a new index started; `fresh` then tells the caller to rebuild it from disk.
 */
export function openIndex(file: string, log: Logger): { index: LocalIndex; fresh: boolean } {
  const fresh = !existsSync(file);
  try {
    return { index: new LocalIndex(file), fresh };
  } catch (err) {
    const aside = `${file}.unreadable-${Date.now()}`;
    log.error(
      { err, file, movedTo: aside },
      'local index unreadable; starting a new one and rebuilding it from the files on disk',
    );
    renameSync(file, aside);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
    return { index: new LocalIndex(file), fresh: true };
  }
}
