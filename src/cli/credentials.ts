import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `vigil login` keeps for the other verbs: which master, the session secret, the farm CA file. */
export interface CliCredentials {
  master: string;
  secret: string;
  /** The farm CA certificate file the master's TLS is checked against (`--ca`). */
  ca?: string;
}

/** How a verb reaches the master: its URL, the headers that authenticate, the CA file if any (--ca, else the saved login's). */
export interface MasterAccess {
  master: string;
  headers: Record<string, string>;
  ca?: string;
}

/** The master of a farm on this machine, when nothing else names one. */
export const DEFAULT_MASTER = 'https://127.0.0.1:8080';

/** `$XDG_CONFIG_HOME/vigil/credentials.json` (default `~/.config/vigil/credentials.json`). */
export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'vigil', 'credentials.json');
}

/** The saved credentials; undefined when there are none (never logged in, or logged out). */
export function readCredentials(file = credentialsFile()): CliCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const c = JSON.parse(text) as Partial<CliCredentials>;
  if (typeof c.master !== 'string' || typeof c.secret !== 'string') throw new Error(`${file}: not vigil credentials`);
  return { master: c.master, secret: c.secret, ...(typeof c.ca === 'string' && { ca: c.ca }) };
}

/**
 * Saves the credentials: the folder 0700, the file 0600 (written aside, then renamed over the old
 * one, so no other local user can ever read the secret, and a crash leaves the old file whole).
 */
export function writeCredentials(c: CliCredentials, file = credentialsFile()): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Forgets the saved credentials. */
export function removeCredentials(file = credentialsFile()): void {
  rmSync(file, { force: true });
}

/**
 * The master a verb talks to and the credential it sends: `--token`, else $VIGIL_TOKEN, else the
 * saved login; the master `--master`, else the saved one, else DEFAULT_MASTER. The saved secret
 * goes only to the master it was made for (a --master elsewhere gets no credential but a token given);
 * the CA `--ca`, else the saved login's (for its master).
 */
export function masterAccess(
  o: { master?: string; token?: string; ca?: string },
  env: NodeJS.ProcessEnv = process.env,
  saved: CliCredentials | undefined = readCredentials(credentialsFile(env)),
): MasterAccess {
  const master = trimSlash(o.master ?? saved?.master ?? DEFAULT_MASTER);
  const own = saved && trimSlash(saved.master) === master ? saved : undefined;
  const secret = o.token ?? env.VIGIL_TOKEN ?? own?.secret;
  const ca = o.ca ?? own?.ca;
  return {
    master,
    headers: secret ? { authorization: `Bearer ${secret}` } : {},
    ...(ca && { ca }),
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
