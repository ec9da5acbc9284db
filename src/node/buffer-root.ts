import { createHash } from 'node:crypto';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import type { Logger } from '../lib/log.ts';
import { makePrivateDir, removeOwnDirs } from '../lib/private-dir.ts';

/** Where pre-buffers live when the machine has it: a tmpfs, so they stay in memory. */
export const SHM = '/dev/shm';

/**
 * The name prefix of a node's buffer folders: its id and a digest of its data dir, so two nodes
 * of the same id on one machine (test farms) never take each other's folders for leftovers.
 */
export function bufferPrefix(id: string, dataDir: string): string {
  const digest = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 12);
  return `vigil-${id}-${digest}-buffer-`;
}

/**
 * The folder a node's hot-standby and live-relay buffers stage in: made by mkdtemp under /dev/shm
 * (the data dir when there is none, or it takes no folder), 0700 and checked with lstat, so its
 * name cannot be guessed, nor the folder prepared, by another local user — the path
 * `/dev/shm/vigil-<id>-buffer` of older versions, which anyone could create first, is never used.
 * What a killed run of this node left there is removed first (its folders only: owner checked).
 * `close()` removes the folder.
 */
export function openBufferRoot(id: string, dataDir: string, log: Logger): { dir: string; close(): void } {
  const prefix = bufferPrefix(id, dataDir);
  const parents = existsSync(SHM) ? [SHM, dataDir] : [dataDir];
  for (const parent of parents) {
    const stale = removeOwnDirs(parent, prefix);
    if (stale.length) log.info({ removed: stale }, 'removed buffer folders a previous run left');
    try {
      const dir = makePrivateDir(parent, prefix);
      return { dir, close: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (err) {
      if (parent === dataDir) throw err;
      log.warn({ err, parent }, 'no private buffer folder in shared memory; buffering in the data dir');
    }
  }
  throw new Error('unreachable');
}
