import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestInit, Response } from 'undici';
import { PRIVATE_FILE_MODE } from '../lib/private-dir.ts';

/** The farm's first admin, as LocalFarm made it through the setup token: their password and an admin API token. */
export interface FarmAdmin {
  user: string;
  password: string;
  /** The `farm` API token (admin) that api(), post() and fetch() send. */
  token: string;
}

/**
 * The farm's admin: made at the master's first start as a person would, with the one-time setup
 * token the master wrote in its data dir (a random password, then a login and an API token
 * `farm`), kept in `<dir>/farm-admin.json` (0600) for later starts on the same folder.
 */
export async function farmAdmin(
  dir: string,
  request: (path: string, init: RequestInit) => Promise<Response>,
  waitFor: (fn: () => boolean, ms: number, what: string) => Promise<void>,
): Promise<FarmAdmin> {
  const file = join(dir, 'farm-admin.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as FarmAdmin;
  const tokenFile = join(dir, 'master', 'setup-token');
  await waitFor(() => existsSync(tokenFile), 10_000, "the master's setup token");
  const user = 'admin';
  const password = randomBytes(18).toString('base64url');
  const call = async <T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> => {
    const res = await request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const setupToken = readFileSync(tokenFile, 'utf8').trim();
  await call('/api/v1/setup', { setupToken, user, password });
  const { secret } = await call<{ secret: string }>('/api/v1/login', { user, password, token: true });
  const session = { authorization: `Bearer ${secret}` };
  const { secret: token } = await call<{ secret: string }>('/api/v1/tokens', { name: 'farm', role: 'admin' }, session);
  await call('/api/v1/logout', {}, session);
  const admin = { user, password, token };
  writeFileSync(file, JSON.stringify(admin), { mode: PRIVATE_FILE_MODE });
  return admin;
}
