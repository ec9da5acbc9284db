import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE } from '../lib/private-dir.ts';
import { NOT_LEADER_HEADER } from '../master/standby-gate.ts';
import type { RequestInit, Response } from 'undici';

/**
 * How a master is started: more environment (VIGIL_FAULT_POINT, say), or under another group id
 * (still root's user, so it reads every file; an iptables rule on that gid cuts its traffic).
 */
export interface MasterStart {
  env?: Record<string, string>;
  gid?: number;
}

/** master → 0, master2 → 1, master3 → 2… (a LocalFarm's masters by name). */
export function masterIndex(name: string): number {
  const m = /^master(\d*)$/.exec(name);
  if (!m) throw new Error(`not a master: ${name}`);
  return m[1] ? Number(m[1]) - 1 : 0;
}

/** The name of a LocalFarm's master `i` (0: master, 1: master2…). */
export function masterName(i: number): string {
  return i === 0 ? 'master' : `master${i + 1}`;
}

/** What `vigil master` is started with for one of a LocalFarm's masters (named m1, m2… when there are several). */
export function masterArgs(
  o: { dir: string; masterPort: number; standbyPorts?: number[]; lease?: { leaseMs: number; renewMs: number } },
  name: string,
  configFile: string,
  store: string | undefined,
): string[] {
  const i = masterIndex(name);
  const args = ['master', '--data', join(o.dir, name), '--config', configFile];
  args.push('--port', String(i === 0 ? o.masterPort : o.standbyPorts![i - 1]));
  if (store) args.push('--store', store);
  if (o.standbyPorts?.length) args.push('--id', `m${i + 1}`);
  if (o.lease) args.push('--lease-ms', String(o.lease.leaseMs), '--lease-renew-ms', String(o.lease.renewMs));
  return args;
}

/** Which of `count` masters leads, by name, as each one answers GET /api/v1/master (undefined: none does). */
export async function leadingMaster(
  count: number,
  requestAt: (name: string, path: string, init: RequestInit) => Promise<Response>,
): Promise<string | undefined> {
  for (let i = 0; i < count; i++) {
    try {
      const res = await requestAt(masterName(i), '/api/v1/master', { signal: AbortSignal.timeout(2000) });
      if (res.ok && ((await res.json()) as { leader: boolean }).leader) return masterName(i);
    } catch {
      // not running
    }
  }
  return undefined;
}

/** The farm CA (ca.pem, ca.key) copied into another master's pki/ folder, as an admin does for a standby. */
export function copyFarmCa(fromPki: string, toPki: string): void {
  mkdirSync(toPki, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const f of ['ca.pem', 'ca.key']) copyFileSync(join(fromPki, f), join(toPki, f));
}

/**
 * The first of the masters that answers, from `start` on: one that is down, or a standby that knows
 * no leader, is passed over (a request aborted, or with a body, is not sent twice).
 */
export async function firstAnswer(
  urls: string[],
  start: number,
  init: RequestInit,
  fetch: (url: string) => Promise<Response>,
): Promise<{ res: Response; idx: number }> {
  let last: unknown;
  for (let i = 0; i < urls.length; i++) {
    const idx = (start + i) % urls.length;
    try {
      const res = await fetch(urls[idx]);
      // A standby that knows no leader (cut off from the store, say): another master may.
      if (res.headers.get(NOT_LEADER_HEADER) === '' && i < urls.length - 1 && !init.body) {
        await res.arrayBuffer();
        continue;
      }
      return { res, idx };
    } catch (err) {
      last = err;
      if (init.signal?.aborted || (init.body && typeof init.body === 'object')) throw err;
    }
  }
  throw last;
}
