import type { MasterAccess } from './credentials.ts';
import { masterFetch } from './master-fetch.ts';

/**
 * One request of a verb to the master over HTTPS (trusting caFile(): --ca, the saved login's CA,
 * $VIGIL_CA, the local farm CA), with its credential; the JSON answer. A refusal prints the
 * master's message (with a hint when the credential is missing or stale) and exits 1.
 */
export async function callMaster<T>(a: MasterAccess, method: string, path: string, body?: unknown): Promise<T> {
  return (await callMasterWithHeaders<T>(a, method, path, body)).body;
}

/** callMaster, with the answer's headers too (a page's cursor is one). */
export async function callMasterWithHeaders<T>(
  a: MasterAccess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ body: T; headers: Headers }> {
  const res = await masterFetch({ master: a.master, ...(a.ca && { ca: a.ca }) }, path, {
    method,
    headers: { ...a.headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const answer = (text ? JSON.parse(text) : null) as { error?: { message: string } } | null;
  if (!res.ok) {
    console.error(answer?.error?.message ?? text);
    if (res.status === 401)
      console.error(`(log in first: vigil login --master ${a.master} --user NAME, or give --token)`);
    process.exit(1);
  }
  return { body: answer as T, headers: res.headers };
}
