import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';

/** Mode of every folder Vigil keeps data in: the owner alone may list, read or write it. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file Vigil keeps data in. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes every file and folder this process (and the ffmpeg it starts, which inherits it) creates
 * private by default: 0600 files, 0700 folders. Called first thing by `vigil master`, `node`, `demo`.
 */
export function privateUmask(): void {
  process.umask(0o077);
}

/** This process's user id (a platform without one — Windows — checks no owner). */
function uid(): number | undefined {
  return process.getuid?.();
}

/**
 * Throws unless `dir` is, as lstat sees it, a directory (not a symlink to one) owned by this user
 * with mode 0700: what another local user could have prepared (a folder of theirs, a link into a
 * place of their choosing, a folder they can write into) is never handed to ffmpeg.
 */
export function assertPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw new Error(`${dir} is a symbolic link, not a private folder: refused`);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder: refused`);
  const me = uid();
  if (me !== undefined && st.uid !== me)
    throw new Error(`${dir} belongs to user ${st.uid}, not to this process's user ${me}: refused`);
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE)
    throw new Error(`${dir} has mode ${(st.mode & 0o777).toString(8)}, not 700: refused`);
}

/**
 * A new folder only this user can reach, under `parent` (e.g. /dev/shm): mkdtemp picks a name no
 * one can guess or have created before (it fails on any existing entry, a symlink included), then
 * it is made 0700 and checked. The caller removes it when done.
 */
export function makePrivateDir(parent: string, prefix: string): string {
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, PRIVATE_DIR_MODE);
  assertPrivateDir(dir);
  return dir;
}

/**
 * Makes `dir` (and its missing parents) a private folder, or checks that it is one: an existing
 * folder of this user's with a wider mode is tightened to 0700 (folders of older versions were
 * 0755); a symlink, a file or another user's folder is refused. `followRoot` lets `dir` itself be
 * a symlink to such a folder (an admin's data dir on another disk); what is checked is then its target.
 */
export function ensurePrivateDir(dir: string, o: { followRoot?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const real = o.followRoot ? realpathSync(dir) : dir;
  const st = lstatSync(real);
  const me = uid();
  if (st.isDirectory() && !st.isSymbolicLink() && (me === undefined || st.uid === me) && (st.mode & 0o777) !== 0o700)
    chmodSync(real, PRIVATE_DIR_MODE);
  assertPrivateDir(real);
}

/**
 * Removes the folders directly under `parent` whose names start with `prefix` and that are this
 * user's own folders (lstat: never a link, never another user's entry): what a killed process
 * left of its private folders (a tmpfs holds them in memory until removed).
 */
export function removeOwnDirs(parent: string, prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const path = join(parent, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || st.isSymbolicLink() || (uid() !== undefined && st.uid !== uid())) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // gone meanwhile, or not removable: not ours to worry about
    }
  }
  return removed;
}

/**
 * Makes `file` 0600 if it is a regular file of this user's (lstat: a link is left alone): files an
 * older version made 0644. Missing is fine.
 */
export function tightenFile(file: string): void {
  try {
    const st = lstatSync(file);
    const me = uid();
    if (st.isFile() && (me === undefined || st.uid === me) && (st.mode & 0o077) !== 0)
      chmodSync(file, PRIVATE_FILE_MODE);
  } catch {
    // missing: nothing to tighten
  }
}

/**
 * Prepares a SQLite database file before it is opened: created 0600 when missing ('wx': never
 * through a planted link), else tightened, with its -wal, -shm and -journal. SQLite gives the
 * files it creates beside a database the database file's mode, so they are 0600 from then on.
 */
export function privateSqliteFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) tightenFile(f);
}
