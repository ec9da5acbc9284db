import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { VigilError } from '../lib/errors.ts';

/**
 * Reads a private key file, refused when its group or other users may read or write it: a key
 * another local user can read is no longer this process's alone. (The one check of key files'
 * modes; the hardening work may move it to a shared place.)
 */
export function readKeyFile(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077)
    throw new VigilError(
      'KEY_FILE_UNSAFE',
      `${path}: the key file is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
  return readFileSync(path, 'utf8');
}

/**
 * Writes a file whole or not at all (a temp file renamed over it), with `mode`, in a folder made
 * 0700 if missing: a crash never leaves half a key, and a key is never readable by others, not even
 * for a moment.
 */
export function writePrivateFile(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode); // the umask may have taken bits off; never adds any
  renameSync(tmp, path);
}
