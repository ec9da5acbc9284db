import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The real path of `rel` under `root`, or undefined when it is absolute, climbs out with `..`, or
 * leads out through a symlink, or does not exist. Files are served only through this, so even a
 * tampered index cannot make a server hand out a file outside its storage.
 */
export async function resolveInside(root: string, rel: string): Promise<string | undefined> {
  if (rel === '' || isAbsolute(rel) || rel.includes('\0') || rel.split(/[/\\]/).includes('..')) return undefined;
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(resolve(root, rel))]);
    const r = relative(realRoot, real);
    return r !== '' && !isAbsolute(r) && r !== '..' && !r.startsWith(`..${sep}`) ? real : undefined;
  } catch {
    return undefined; // missing (deleted by retention, say): nothing to serve
  }
}
