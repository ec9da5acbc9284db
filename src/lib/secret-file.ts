import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * Reads a secret (the farm key, a TLS private key) from a file, refusing it when another local user
 * may read or change it: the file must be a regular file owned by this process's user (or root) with
 * no group or other permission bit (mode & 0o077 === 0). The error names the file and the chmod to
 * run. The mode is checked on the file opened (fstat), so a swap between check and read changes
 * nothing; a symlink is followed (its target is what holds the secret, and what is checked).
 */
export function readSecretFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the secret file ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`secret file ${path} is not a regular file: refused`);
    const me = process.getuid?.();
    if (me !== undefined && st.uid !== me && st.uid !== 0)
      throw new Error(
        `secret file ${path} belongs to user ${st.uid}, not to this process's user ${me} (or root): refused; run chown ${me} ${path}`,
      );
    const mode = st.mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0)
      throw new Error(
        `secret file ${path} has mode ${mode.toString(8).padStart(3, '0')}: other users may read or change it; refused. Run: chmod 600 ${path}`,
      );
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
