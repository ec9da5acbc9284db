import { existsSync, readFileSync } from 'node:fs';
import { unreachableReason } from './unreachable.ts';
import { tlsFetch } from '../lib/http/tls.ts';
import { type CliCredentials, credentialsFile, readCredentials } from './credentials.ts';

/** The options of a client verb that say which master and how to trust it. */
export interface MasterFlags {
  master: string;
  /** A CA certificate file (PEM) to trust the master by. */
  ca?: string;
}

/** Where a master started here without --data keeps its farm CA: trusted by default on this machine. */
const LOCAL_CA = '.vigil/master/pki/ca.pem';

/**
 * The CA file a client verb trusts the master by: --ca, else the one `vigil login --ca` saved for
 * this master, else $VIGIL_CA, else the local master's farm CA when there is one; undefined: the
 * system's CAs (a master with an admin's own certificate).
 */
export function caFile(flag?: string, master?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? savedCa(master, env) ?? env.VIGIL_CA ?? (existsSync(LOCAL_CA) ? LOCAL_CA : undefined);
}

/** The CA file of the saved login, when it is for `master` (or any master is meant). */
function savedCa(master: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let saved: CliCredentials | undefined;
  try {
    saved = readCredentials(credentialsFile(env));
  } catch {
    return undefined; // an unreadable login file is the credential's concern (reported where it is used)
  }
  if (!saved?.ca) return undefined;
  return master === undefined || trimSlash(saved.master) === trimSlash(master) ? saved.ca : undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Errors of a connection that never opened: the request reached no master, and may go to the next. */
const NOT_CONNECTED = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
];

function neverConnected(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as never, i++)
    if (typeof e.code === 'string' && NOT_CONNECTED.includes(e.code)) return true;
  return false;
}

/**
 * One request to the master over HTTPS, trusting caFile(--ca). `master` may list a farm's masters,
 * comma-separated: the first that takes the connection answers (a standby forwards to the leader);
 * one that takes none is passed over, never one that may have had the request (no action twice). A
 * master that cannot be reached or trusted is an error saying which, and what to pass.
 */
export async function masterFetch(
  o: MasterFlags,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const file = caFile(o.ca, o.master);
  const http = tlsFetch(file ? { ca: readFileSync(file, 'utf8') } : undefined);
  const masters = o.master
    .split(',')
    .map((u) => trimSlash(u.trim()))
    .filter(Boolean);
  if (!masters.length) throw new Error(`no master URL in --master "${o.master}"`);
  const failed: string[] = [];
  try {
    for (const master of masters) {
      try {
        return (await http.fetch(master + path, init)) as unknown as Response;
      } catch (err) {
        failed.push(`${master}: ${unreachableReason(err, master)}`);
        if (!neverConnected(err)) break;
      }
    }
  } finally {
    void http.close();
  }
  const trusted = file ? ` (trusting ${file})` : '';
  if (masters.length === 1) throw new Error(`cannot reach the master at ${failed[0]}${trusted}`);
  throw new Error(`cannot reach a master: ${failed.join('; ')}${trusted}`);
}
