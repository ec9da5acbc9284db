import { isAbsolute, normalize } from 'node:path';
import { VigilError } from '../lib/errors.ts';

/** What a storage check asks one server: its paths and bounds, and which config entry each path came from. */
export interface ServerStorageCheck {
  server: string;
  paths: string[];
  minFreeBytes?: number;
  minFreePercent?: number;
  /** Config path (e.g. /servers/0/storage/paths) of each entry of `paths`. */
  at: Map<string, string>;
}

/**
 * The storage paths each server of a configuration must be able to write: its own and those of the
 * cameras it is home to. Read from the raw input, so that a configuration refused for other reasons
 * still has its paths checked and the answer names every problem at once: entries that are not
 * absolute paths are left to parseFarmConfig. A server without storage settings records to its data
 * dir, which it creates itself: only its cameras' paths are checked. Pure.
 */
export function storageChecks(input: unknown): ServerStorageCheck[] {
  const servers = list(obj(input).servers);
  const cameras = list(obj(input).cameras);
  const out: ServerStorageCheck[] = [];
  servers.forEach((s, i) => {
    if (typeof s.id !== 'string') return;
    const at = new Map<string, string>();
    const storage = obj(s.storage);
    for (const p of absolutePaths(storage.paths)) at.set(p, `/servers/${i}/storage/paths`);
    cameras.forEach((cam, j) => {
      if (cam.server !== s.id) return;
      for (const p of absolutePaths(obj(cam.storage).paths)) if (!at.has(p)) at.set(p, `/cameras/${j}/storage/paths`);
    });
    if (!at.size) return;
    const num = (v: unknown, max: number) => (typeof v === 'number' && v >= 0 && v <= max ? v : undefined);
    const minFreeBytes = num(storage.minFreeBytes, Number.MAX_SAFE_INTEGER);
    const minFreePercent = num(storage.minFreePercent, 100);
    out.push({
      server: s.id,
      paths: [...at.keys()],
      ...(minFreeBytes !== undefined && { minFreeBytes }),
      ...(minFreePercent !== undefined && { minFreePercent }),
      at,
    });
  });
  return out;
}

function absolutePaths(v: unknown): string[] {
  if (typeof v !== 'string') return [];
  const out: string[] = [];
  for (const entry of v.split(';')) {
    const p = entry.trim().replace(/^\*/, '').trim();
    if (isAbsolute(p) && !p.includes('\0')) {
      const n = normalize(p).replace(/(.)\/+$/, '$1');
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

type Loose = Record<string, unknown>;
function obj(v: unknown): Loose {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {};
}
function list(v: unknown): Loose[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

/**
 * Runs the checks on the servers that answer; a problem line a server gives (`<path>: <why>`) is
 * named by the config entry of its path. Servers that do not answer are warnings: they report
 * unusable paths in their status once they run.
 */
export async function checkStorageOnServers(
  checks: ServerStorageCheck[],
  ask: (server: string, body: { paths: string[]; minFreeBytes?: number; minFreePercent?: number }) => Promise<string[]>,
): Promise<{ problems: string[]; warnings: string[] }> {
  const problems: string[] = [];
  const warnings: string[] = [];
  await Promise.all(
    checks.map(async (c) => {
      let found: string[];
      try {
        found = await ask(c.server, { paths: c.paths, minFreeBytes: c.minFreeBytes, minFreePercent: c.minFreePercent });
      } catch (err) {
        // A server that answers and refuses the question is a problem; one that does not answer is not checked.
        if (err instanceof VigilError && err.code === 'NODE_REFUSED') {
          problems.push(`/servers/${c.server}/storage: server ${c.server} refused the storage check: ${err.message}`);
          return;
        }
        warnings.push(
          `server ${c.server} did not answer: its storage paths were not checked (it reports unusable paths in its status)`,
        );
        return;
      }
      for (const line of found) {
        const path = c.paths.find((p) => line.startsWith(`${p}: `));
        problems.push(`${(path && c.at.get(path)) ?? `/servers/${c.server}/storage`}: on server ${c.server}, ${line}`);
      }
    }),
  );
  return { problems: problems.sort(), warnings: warnings.sort() };
}
